/// A validated object key: a relative, slash-separated path that cannot leave its store.
///
/// Refused: empty keys, keys over 1,024 bytes, a leading `/`, empty, `.` or `..` segments,
/// NUL, other control characters and backslashes. A bad key is an error, never a path outside
/// the store, whatever the backend.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public static let maximumLength = 1024

    public init(_ raw: String) throws(ObjectKeyError) {
        try Self.validate(raw, allowTrailingSlash: false)
        self.rawValue = raw
    }

    public var description: String { rawValue }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool { a.rawValue < b.rawValue }

    /// The last path segment (`segment_00001.ts`).
    public var fileName: String {
        rawValue.split(separator: "/").last.map(String.init) ?? rawValue
    }

    /// The key with its last segment replaced, e.g. a segment beside its playlist.
    public func sibling(_ name: String) throws(ObjectKeyError) -> ObjectKey {
        let directory = rawValue.split(separator: "/").dropLast().joined(separator: "/")
        return try ObjectKey(directory.isEmpty ? name : "\(directory)/\(name)")
    }

    /// Checks a listing or deletion prefix: the same rules, but it may end with `/` and may be empty (everything).
    public static func validatePrefix(_ prefix: String) throws(ObjectKeyError) {
        guard !prefix.isEmpty else { return }
        try validate(prefix, allowTrailingSlash: true)
    }

    /// Byte by byte on the UTF-8: every served media request validates its key, and splitting
    /// into substrings cost more than the rest of the check. Control characters, `\\` and `/`
    /// are single bytes that never occur inside a multi-byte UTF-8 sequence.
    static func validate(_ raw: String, allowTrailingSlash: Bool) throws(ObjectKeyError) {
        let bytes = raw.utf8
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maximumLength else { throw .tooLong(bytes.count) }
        guard bytes.first != slash else { throw .leadingSlash }
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { throw .controlCharacter }
            if byte == UInt8(ascii: "\\") { throw .backslash }
        }
        // Length and dot count of the segment being read; a segment ends at each `/` and at the end.
        var length = 0
        var dots = 0
        var index = bytes.startIndex
        while true {
            let atEnd = index == bytes.endIndex
            if atEnd || bytes[index] == slash {
                let isTrailing = atEnd && allowTrailingSlash && length == 0
                if length == 0 && !isTrailing { throw .emptySegment }
                if length > 0 && length == dots && length <= 2 { throw .dotSegment }
                if atEnd { return }
                length = 0
                dots = 0
            } else {
                length += 1
                if bytes[index] == UInt8(ascii: ".") { dots += 1 }
            }
            index = bytes.index(after: index)
        }
    }

    private static let slash = UInt8(ascii: "/")
}

public enum ObjectKeyError: Error, Equatable, CustomStringConvertible {
    case empty
    case tooLong(Int)
    case leadingSlash
    case controlCharacter
    case backslash
    case emptySegment
    case dotSegment

    public var description: String {
        switch self {
        case .empty: "object key is empty"
        case .tooLong(let n): "object key is \(n) bytes long (at most \(ObjectKey.maximumLength))"
        case .leadingSlash: "object key must not start with /"
        case .controlCharacter: "object key must not contain NUL or control characters"
        case .backslash: "object key must not contain a backslash"
        case .emptySegment: "object key must not contain an empty segment (//)"
        case .dotSegment: "object key must not contain . or .. segments"
        }
    }
}
