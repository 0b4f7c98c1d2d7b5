import Foundation
import Hummingbird
import TapedeckRecording

/// An `application/x-www-form-urlencoded` body, as the pages' forms send it.
enum FormBody {
    static func read(_ request: Request, limit: Int = 64 << 10) async throws -> [String: String] {
        parse(String(buffer: try await request.body.collect(upTo: limit)))
    }

    /// A page's query string as a GET form sends it: `+` is a space there, which `queryParameters` keeps as `+`.
    static func query(_ request: Request) -> [String: String] {
        parse(request.uri.query ?? "")
    }

    static func parse(_ body: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let key = String(parts[0]).removingPercentEncoding else { continue }
            values[key] = String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return values
    }
}
