import Crypto
import Foundation

/// An opaque pagination cursor: the sort key of the last row of a page, tied to the query it came from.
///
/// The cursor carries a fingerprint of its query (endpoint and filters), so a cursor from another
/// listing, or from the same listing with other filters, is refused instead of silently paging
/// through the wrong rows.
public struct KeysetCursor: Sendable, Equatable {
    /// Fingerprint of the query this cursor belongs to.
    public var scope: String
    /// Primary sort value of the last row (a timestamp in ms, or a row id).
    public var sortValue: Int64
    /// Tie-breaker of the last row (its id), empty when the sort value is unique.
    public var tiebreaker: String

    public init(scope: String, sortValue: Int64, tiebreaker: String = "") {
        self.scope = scope
        self.sortValue = sortValue
        self.tiebreaker = tiebreaker
    }

    public enum DecodeError: Error, Equatable {
        /// Not a cursor this server produced.
        case malformed
        /// A valid cursor, but of another query.
        case foreign
    }

    /// The fingerprint of a listing and its filters (order-independent, nils dropped).
    public static func scope(_ listing: String, filters: [String: String?] = [:]) -> String {
        let canonical = filters.compactMap { key, value in value.map { "\(key)=\($0)" } }.sorted()
            .joined(separator: "&")
        let digest = SHA256.hash(data: Data("\(listing)?\(canonical)".utf8))
        return "\(listing):" + Array(digest.prefix(8)).hexString
    }

    private struct Wire: Codable {
        var v: Int
        var s: String
        var k: Int64
        var t: String
    }

    public func encode() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = (try? encoder.encode(Wire(v: 1, s: scope, k: sortValue, t: tiebreaker))) ?? Data()
        return Base64URL.encode(json)
    }

    public static func decode(_ text: String, expectedScope: String) throws(DecodeError) -> KeysetCursor {
        guard text.count <= 512, let data = Base64URL.decode(text),
            let wire = try? JSONDecoder().decode(Wire.self, from: data), wire.v == 1
        else { throw .malformed }
        guard wire.s == expectedScope else { throw .foreign }
        return KeysetCursor(scope: wire.s, sortValue: wire.k, tiebreaker: wire.t)
    }
}
