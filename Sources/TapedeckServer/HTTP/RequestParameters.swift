import Foundation
import Hummingbird
import TapedeckCore
import TapedeckRecording

/// Validated reads of path and query parameters; each failure names the parameter.
extension Request {
    func query(_ name: String) -> String? {
        uri.queryParameters[name[...]].map(String.init)
    }

    /// `limit` in `1...maximum`, `defaultValue` when absent.
    func limit(default defaultValue: Int = 20, maximum: Int = 100) throws -> Int {
        guard let raw = query("limit") else { return defaultValue }
        guard let value = Int(raw), (1...maximum).contains(value) else {
            throw APIError.invalid("limit", "limit must be a whole number from 1 to \(maximum), got \"\(raw.prefix(40))\"")
        }
        return value
    }

    /// The decoded `cursor`, checked against the listing it must come from.
    func cursor(scope: String) throws -> KeysetCursor? {
        // An empty cursor is the first page: clients often send `cursor=` when they have none.
        guard let raw = query("cursor"), !raw.isEmpty else { return nil }
        do {
            return try KeysetCursor.decode(raw, expectedScope: scope)
        } catch .malformed {
            throw APIError.invalid("cursor", "cursor is not valid; use next_cursor from a previous page", code: "invalid_cursor")
        } catch .foreign {
            throw APIError.invalid(
                "cursor", "cursor belongs to another listing or to other filters; start again without it",
                code: "invalid_cursor")
        }
    }
}

extension TapedeckRequestContext {
    /// The `{name}` of a room route: 1 to 256 characters, no control characters.
    func roomNameParameter() throws -> String {
        let name = parameters.get("name")?.removingPercentEncoding ?? ""
        guard !name.isEmpty, name.unicodeScalars.count <= 256, !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw APIError.invalid("name", "the room name must be 1 to 256 characters without control characters")
        }
        return name
    }

    /// A path parameter that must be a UUID.
    func uuidParameter(_ name: String) throws -> UUID {
        let raw = parameters.get(name) ?? ""
        guard let id = UUID(uuidString: raw) else {
            throw APIError.invalid(name, "\(name) must be a UUID, got \"\(raw.prefix(60))\"", code: "invalid_id")
        }
        return id
    }
}
