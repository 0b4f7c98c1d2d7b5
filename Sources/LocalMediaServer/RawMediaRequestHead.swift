import Foundation

/// The head of an HTTP/1.1 request read straight from a connection's bytes, when it is a plain
/// `GET /media/...` without a body. Anything else (another method or path, HTTP/1.0, a body,
/// an upgrade, an unusual or malformed line) is `notMedia`, and left whole to the HTTP/1 codec:
/// this reader only needs to be right about what it accepts.
struct RawMediaRequestHead: Equatable {
    var target: String
    var range: String?
    var ifRange: String?
    var ifNoneMatch: String?
    var requestID: String?
    var keepAlive = true
    /// Bytes the head takes, its closing empty line included.
    var length: Int

    enum Reading: Equatable {
        case incomplete
        case notMedia
        case media(RawMediaRequestHead)
    }

    /// A longer head is not a media player's; the codec answers it.
    static let maximumLength = 16 * 1024
    static let prefix = Array("GET /media/".utf8)
    static let version = Array(" HTTP/1.1".utf8)

    static func read(_ bytes: UnsafeRawBufferPointer) -> Reading {
        let count = bytes.count
        for index in 0..<min(count, prefix.count) where bytes[index] != prefix[index] { return .notMedia }
        guard count >= prefix.count, let end = endOfHead(bytes) else {
            return count >= maximumLength ? .notMedia : .incomplete
        }
        // The request line: GET <visible ASCII, no spaces> HTTP/1.1
        guard let lineEnd = lineEnd(bytes, from: 0, limit: end + 2), lineEnd >= 4 + version.count else { return .notMedia }
        let targetEnd = lineEnd - version.count
        for (offset, byte) in version.enumerated() where bytes[targetEnd + offset] != byte { return .notMedia }
        for index in 4..<targetEnd where !(0x21...0x7E).contains(bytes[index]) { return .notMedia }
        var head = RawMediaRequestHead(target: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[4..<targetEnd]), as: UTF8.self), length: end + 4)

        var start = lineEnd + 2
        while start < end + 2 {
            guard let stop = Self.lineEnd(bytes, from: start, limit: end + 2), stop > start else { return .notMedia }
            guard let colon = (start..<stop).first(where: { bytes[$0] == UInt8(ascii: ":") }), colon > start,
                (start..<colon).allSatisfy({ isTokenCharacter(bytes[$0]) })
            else { return .notMedia }
            var valueStart = colon + 1
            var valueEnd = stop
            while valueStart < valueEnd, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            guard (valueStart..<valueEnd).allSatisfy({ (0x20...0x7E).contains(bytes[$0]) || bytes[$0] == 0x09 }) else {
                return .notMedia
            }
            let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
            let name = UnsafeRawBufferPointer(rebasing: bytes[start..<colon])
            switch Field(name) {
            case .range: guard head.range == nil else { return .notMedia }; head.range = value
            case .ifRange: guard head.ifRange == nil else { return .notMedia }; head.ifRange = value
            case .ifNoneMatch: guard head.ifNoneMatch == nil else { return .notMedia }; head.ifNoneMatch = value
            case .requestID: guard head.requestID == nil else { return .notMedia }; head.requestID = value
            case .connection:
                let options = value.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if options.contains("upgrade") { return .notMedia }
                if options.contains("close") { head.keepAlive = false }
            case .framing: return .notMedia
            case .other: break
            }
            start = stop + 2
        }
        return .media(head)
    }

    /// The index of the empty line's CR (the head ends 4 bytes later), within the size limit.
    static func endOfHead(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let limit = min(bytes.count, maximumLength)
        guard limit >= 4 else { return nil }
        var index = 0
        while index + 3 < limit {
            if bytes[index] == 0x0D, bytes[index + 1] == 0x0A, bytes[index + 2] == 0x0D, bytes[index + 3] == 0x0A {
                return index
            }
            index += 1
        }
        return nil
    }

    /// Where the line starting at `from` ends (its CR); `nil` for a bare CR or LF inside it.
    static func lineEnd(_ bytes: UnsafeRawBufferPointer, from: Int, limit: Int) -> Int? {
        var index = from
        while index + 1 < limit {
            let byte = bytes[index]
            if byte == 0x0D { return bytes[index + 1] == 0x0A ? index : nil }
            if byte == 0x0A { return nil }
            index += 1
        }
        return nil
    }

    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return tokenSymbols.contains(byte)
        }
    }

    private static let tokenSymbols = Array("!#$%&'*+-.^_`|~".utf8)

    /// The header fields the reader cares about; `framing` ones mean a body or a protocol switch.
    enum Field {
        case range, ifRange, ifNoneMatch, requestID, connection, framing, other

        init(_ name: UnsafeRawBufferPointer) {
            func named(_ text: StaticString) -> Bool {
                guard name.count == text.utf8CodeUnitCount else { return false }
                let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
                for index in 0..<name.count {
                    let byte = name[index]
                    let lower = (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
                    if lower != expected[index] { return false }
                }
                return true
            }
            switch name.count {
            case 5 where named("range"): self = .range
            case 8 where named("if-range"): self = .ifRange
            case 13 where named("if-none-match"): self = .ifNoneMatch
            case 12 where named("x-request-id"): self = .requestID
            case 10 where named("connection"): self = .connection
            case 14 where named("content-length"), 17 where named("transfer-encoding"), 7 where named("upgrade"),
                6 where named("expect"):
                self = .framing
            default: self = .other
            }
        }
    }
}
