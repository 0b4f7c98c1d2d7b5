import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TapedeckCore
import TapedeckRecording

/// Gives every request an id (the caller's `X-Request-Id` when it is sane), puts it on every log
/// line of the request and on the response, and logs one line per request.
///
/// The line names the route template (`/s/{token}`, `/v1/share-links/{token}/playback`), never
/// the request's path or query string: share and viewer tokens travel in both. A request that
/// matched no route is logged as `(no route)`, as its path may be a mistyped secret.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = TapedeckRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap(Self.acceptable) ?? RequestIDs.next()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        let start = ContinuousClock.now
        var response = try await next(request, context)
        response.headers[.requestID] = id
        let milliseconds = (ContinuousClock.now - start) / .milliseconds(1)
        context.logger.info(
            "\(request.method) \(Self.route(context.endpointPath)) \(response.status.code)",
            metadata: ["ms": "\((milliseconds * 100).rounded() / 100)"])
        return response
    }

    /// What the log says of a request's target: the router's template for it.
    static func route(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound", endpointPath.hasPrefix("/") else { return "(no route)" }
        return endpointPath
    }

    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
            value.utf8.allSatisfy({ c in
                (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) || c == 45 || c == 95 || c == 46
            })
        else { return nil }
        return value
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
