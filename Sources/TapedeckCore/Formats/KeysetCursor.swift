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

/// URL-safe base64 without padding (RFC 4648 §5), table-driven over bytes: Foundation's base64
/// with string replacements around it was a tenth of the CPU of verifying a webhook.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    /// Each byte's value in the alphabet, or 0xFF for a byte outside it (padding included).
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    public static func encode<D: DataProtocol>(_ data: D) -> String {
        let input = Array(data)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            if rest == 2 { out.append(alphabet[Int(value >> 6 & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes, or nil for a byte outside the alphabet (padding included) or a length that no
    /// encoding has (one character past a group of four). Unused low bits of the last character
    /// are ignored, as Foundation's decoder does.
    public static func decode<S: StringProtocol>(_ text: S) -> Data? {
        let count = text.utf8.count
        if count % 4 == 1 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(count * 3 / 4)
        var accumulated: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value = values[Int(byte)]
            if value == 0xFF { return nil }
            accumulated = accumulated << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulated >> UInt32(bits)))
                accumulated &= (1 << UInt32(bits)) - 1
            }
        }
        return Data(out)
    }
}
