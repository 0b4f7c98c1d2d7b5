/// One reply from the server: a three-digit code and its text lines (RFC 5321 §4.2). A
/// multi-line reply is `250-first`, `250-second`, ..., `250 last`; every line has the same code.
public struct SMTPReply: Sendable, Equatable {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// The lines joined with a space: the text an error or receipt keeps.
    public var text: String { lines.joined(separator: " ") }

    public var isPositive: Bool { (200..<400).contains(code) }
}

/// Turns reply lines (without CRLF) into replies. Fed one line at a time, so it works on a byte
/// stream split anywhere; refuses a line that breaks the grammar rather than guessing.
struct SMTPReplyParser {
    /// More lines than any real server sends in one reply: a bound on memory for a hostile peer.
    static let maximumLines = 200

    private var code: Int?
    private var lines: [String] = []

    enum Failure: Error, Equatable {
        case malformed(String)
        case tooLong
    }

    /// Returns the reply this line completes, or nil when more lines follow.
    mutating func consume(line: String) throws(Failure) -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0..<3].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(bytes[0])
        else { throw .malformed(Self.printable(line)) }
        let lineCode = Int(String(decoding: bytes[0..<3], as: UTF8.self))!
        if let code, code != lineCode { throw .malformed(Self.printable(line)) }
        let separator: UInt8? = bytes.count > 3 ? bytes[3] : nil
        guard separator == nil || separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw .malformed(Self.printable(line))
        }
        code = lineCode
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard lines.count <= Self.maximumLines else { throw .tooLong }
        if separator == UInt8(ascii: "-") { return nil }
        let reply = SMTPReply(code: lineCode, lines: lines)
        code = nil
        lines = []
        return reply
    }

    /// True between the first and last line of a multi-line reply.
    var isMidReply: Bool { code != nil }

    /// A reply line as it may appear in an error: control characters shown as `?`, bounded length.
    static func printable(_ line: String) -> String {
        String(String(line.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) }).prefix(200))
    }
}

/// What the server said it supports in its EHLO reply (RFC 5321 §4.1.1.1).
public struct SMTPCapabilities: Sendable, Equatable {
    /// Keywords in upper case, with their parameters.
    public var keywords: [String: [String]]

    public init(ehloReply: SMTPReply) {
        var keywords: [String: [String]] = [:]
        // The first line is the server's name and greeting, not a capability.
        for line in ehloReply.lines.dropFirst() {
            let words = line.split(separator: " ").map(String.init)
            guard let keyword = words.first?.uppercased() else { continue }
            keywords[keyword, default: []].append(contentsOf: words.dropFirst())
        }
        self.keywords = keywords
    }

    /// No extensions: what a server that only understands HELO offers.
    public static let none = SMTPCapabilities(keywords: [:])
    init(keywords: [String: [String]]) { self.keywords = keywords }

    public var startTLS: Bool { keywords["STARTTLS"] != nil }
    public var eightBitMIME: Bool { keywords["8BITMIME"] != nil }
    public var smtpUTF8: Bool { keywords["SMTPUTF8"] != nil }

    /// The SASL mechanisms offered, upper case.
    public var authMechanisms: Set<String> { Set((keywords["AUTH"] ?? []).map { $0.uppercased() }) }

    /// The largest message the server takes, when it says (SIZE 0 means no fixed limit).
    public var maximumSize: Int? {
        guard let value = keywords["SIZE"]?.first.flatMap({ Int($0) }), value > 0 else { return nil }
        return value
    }
}
