import Foundation

/// One cue read from a caption file, on the file's own timeline.
public struct ParsedCaption: Sendable, Equatable {
    public var startMs: Int64
    public var endMs: Int64
    /// Tags removed and (WebVTT) character references decoded; lines joined with LF; control
    /// characters other than tab and line feed replaced by U+FFFD.
    public var text: String
    /// A WebVTT voice span's name, or a 100ms transcript's speaker name.
    public var speaker: String?
    /// A WebVTT cue identifier or an SRT cue number.
    public var id: String?

    public init(startMs: Int64, endMs: Int64, text: String, speaker: String? = nil, id: String? = nil) {
        self.startMs = startMs
        self.endMs = endMs
        self.text = text
        self.speaker = speaker
        self.id = id
    }
}

/// Why a caption file could not be read, and where.
public struct CaptionFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        case tooLarge = "too_large"
        case tooManyCues = "too_many_cues"
        case notUTF8 = "not_utf8"
        case malformed
    }

    public var reason: Reason
    /// The 1-based line at fault, or 0 when the fault is the file as a whole.
    public var line: Int
    public var detail: String

    public init(reason: Reason, line: Int, detail: String) {
        self.reason = reason
        self.line = line
        self.detail = detail
    }

    /// `line 12: expected cue timings ...`.
    public var description: String { line > 0 ? "line \(line): \(detail)" : detail }
}

/// Reads caption files for import: WebVTT, SRT and 100ms' transcript JSON.
///
/// Strict where a guess would misplace text (timestamps, a block without timings, an end before
/// its start), lenient where WebVTT parsers are (a byte order mark, CR LF or CR line ends,
/// comment, style and region blocks, cue settings). Cues with no text left once tags are removed
/// are skipped.
public enum CaptionFileParser {
    public enum Format: String, Sendable, CaseIterable {
        case webVTT = "vtt"
        case srt
        /// `{"sentences": [{"sentence", "name", "peer_id", "start_time", "end_time"}], "words": [...]}`,
        /// times in milliseconds from the recording's start, as strings or numbers.
        case hmsTranscriptJSON = "json"
    }

    public static let maximumBytes = 10 * 1024 * 1024
    public static let maximumCues = 100_000

    /// The format the content looks like: `WEBVTT` first, a JSON object, or a cue number or
    /// timing line; `nil` for anything else.
    public static func detectFormat<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Format? {
        var rest = bytes[...]
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        rest = rest.drop { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
        guard let first = rest.first else { return nil }
        if rest.starts(with: "WEBVTT".utf8) { return .webVTT }
        if first == UInt8(ascii: "{") { return .hmsTranscriptJSON }
        if first >= 48 && first <= 57 { return .srt }
        return nil
    }

    /// The cues of `bytes` (UTF-8, at most ``maximumBytes``) read as `format`, in file order.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, format: Format) throws(CaptionFileError) -> [ParsedCaption] {
        guard bytes.count <= maximumBytes else {
            throw CaptionFileError(reason: .tooLarge, line: 0, detail: "the file is larger than \(maximumBytes / 1_048_576) MB")
        }
        let text = try decode(bytes)
        switch format {
        case .webVTT: return try WebVTTReader.parse(text)
        case .srt: return try SRTReader.parse(text)
        case .hmsTranscriptJSON: return try HMSTranscriptReader.parse(text)
        }
    }

    static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(CaptionFileError) -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let text = String(validating: body, as: UTF8.self) { return text }
        // Only on failure: find the line holding the first byte that is not UTF-8.
        var line = 1
        for piece in body.split(separator: 10, omittingEmptySubsequences: false) {
            if String(validating: piece, as: UTF8.self) == nil { break }
            line += 1
        }
        throw CaptionFileError(reason: .notUTF8, line: line, detail: "the file is not UTF-8 text")
    }

    static func tooManyCues(at line: Int) -> CaptionFileError {
        CaptionFileError(reason: .tooManyCues, line: line, detail: "the file has more than \(maximumCues) cues")
    }

    /// Lines split at LF, CR LF and CR only: U+2028 and the like are text in WebVTT and SRT.
    static func lines(_ text: String) -> [Substring] {
        var out: [Substring] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var i = start
        while i != utf8.endIndex {
            let byte = utf8[i]
            guard byte == 10 || byte == 13 else {
                i = utf8.index(after: i)
                continue
            }
            out.append(text[start..<i])
            var next = utf8.index(after: i)
            if byte == 13, next != utf8.endIndex, utf8[next] == 10 { next = utf8.index(after: next) }
            start = next
            i = next
        }
        out.append(text[start...])
        return out
    }

    /// Whether the line holds `-->`, compared byte by byte: a combining mark after `>` makes a
    /// different Character but is still an arrow to a WebVTT parser.
    static func hasArrow(_ line: Substring) -> Bool {
        var dashes = 0
        for byte in line.utf8 {
            if byte == UInt8(ascii: ">"), dashes >= 2 { return true }
            dashes = byte == UInt8(ascii: "-") ? dashes + 1 : 0
        }
        return false
    }

    /// Reads `digits` ASCII digits (any number when `nil`, up to 9) at `index`, moving past them.
    static func number(_ s: Substring.UTF8View, _ index: inout Substring.UTF8View.Index, digits: Int?) -> Int64? {
        var value: Int64 = 0
        var count = 0
        while index != s.endIndex, s[index] >= 48, s[index] <= 57, count < (digits ?? 9) {
            value = value * 10 + Int64(s[index] - 48)
            count += 1
            index = s.index(after: index)
        }
        if let digits { return count == digits ? value : nil }
        return count > 0 && (index == s.endIndex || s[index] < 48 || s[index] > 57) ? value : nil
    }

    /// A timing line, `start --> end` and then nothing or white space and settings (ignored),
    /// with each time read by `timestamp`; `format` tells people what a time looks like.
    static func timings(
        _ line: Substring, line number: Int, format: String,
        timestamp: (Substring.UTF8View, inout Substring.UTF8View.Index) -> Int64?
    ) throws(CaptionFileError) -> (startMs: Int64, endMs: Int64) {
        let s = line.utf8
        var i = s.startIndex
        func skipSpace() { while i != s.endIndex, s[i] == 32 || s[i] == 9 { i = s.index(after: i) } }
        func fail(_ detail: String) -> CaptionFileError {
            CaptionFileError(reason: .malformed, line: number, detail: detail)
        }
        skipSpace()
        guard let start = timestamp(s, &i) else { throw fail("malformed start time: \(format)") }
        skipSpace()
        guard s[i...].starts(with: "-->".utf8) else { throw fail("expected --> between the start and end times") }
        i = s.index(i, offsetBy: 3)
        skipSpace()
        guard let end = timestamp(s, &i), i == s.endIndex || s[i] == 32 || s[i] == 9 else {
            throw fail("malformed end time: \(format)")
        }
        guard end >= start else { throw fail("the cue ends before it starts") }
        return (start, end)
    }
}
