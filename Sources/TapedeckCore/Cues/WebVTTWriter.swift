import Foundation

/// Writes one track's cues (one kind, one language) as a WebVTT document.
///
/// Whatever a cue's text holds, the file keeps its shape: `&`, `<` and `>` are escaped (so no
/// text can open a tag or contain `-->`), control characters other than tab and line feed become
/// U+FFFD, and lines that are empty or only spaces and tabs are dropped, because an empty line
/// would end the cue. Cues whose text is all such lines are left out. Only final cues are written.
///
/// Incremental: ``append(_:)`` cues in order (``precedes(_:_:)``; `ORDER BY start_ms, end_ms,
/// cue_key` in SQL with a byte-wise collation) and take the bytes written so far with
/// ``takeBytes()`` whenever a chunk is wanted; ``document(_:firstPTSSeconds:)`` does it all at once.
public struct WebVTTWriter: Sendable {
    private var buffer: [UInt8] = []
    private var payload: [UInt8] = []
    private var usedIDs: Set<String> = []
    /// The last speaker and its annotation: a track's cues mostly repeat the speaker before.
    private var lastSpeaker: (name: String, annotation: String)?

    /// Starts the document. With `firstPTSSeconds` (the first presentation time of the HLS
    /// video, which ffmpeg's MPEG-TS output puts at about 1.4 s), the header carries the
    /// `X-TIMESTAMP-MAP` that HLS players need to line cue time 0 up with the video's start.
    public init(firstPTSSeconds: Double? = nil) {
        buffer.reserveCapacity(64 * 1024)
        buffer.append(contentsOf: "WEBVTT\n".utf8)
        if let firstPTSSeconds {
            buffer.append(contentsOf: Self.timestampMapLine(firstPTSSeconds: firstPTSSeconds).utf8)
            buffer.append(10)
        }
    }

    /// The bytes written and not yet taken.
    public var bytes: [UInt8] { buffer }

    /// The bytes written since the last call, leaving the buffer empty (the document goes on).
    public mutating func takeBytes() -> [UInt8] {
        defer { buffer.removeAll(keepingCapacity: true) }
        return buffer
    }

    /// A whole document: the final cues of `cues`, sorted by ``precedes(_:_:)``.
    public static func document(_ cues: [Cue], firstPTSSeconds: Double? = nil) -> String {
        var writer = WebVTTWriter(firstPTSSeconds: firstPTSSeconds)
        for cue in cues.filter(\.isFinal).sorted(by: precedes) { writer.append(cue) }
        return String(decoding: writer.buffer, as: UTF8.self)
    }

    /// The order cues are written in: by start, then end, then the key's UTF-8 bytes.
    public static func precedes(_ a: Cue, _ b: Cue) -> Bool {
        if a.startMs != b.startMs { return a.startMs < b.startMs }
        if a.endMs != b.endMs { return a.endMs < b.endMs }
        return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }

    /// Adds one cue after those already written; an interim cue is skipped.
    public mutating func append(_ cue: Cue) {
        guard cue.isFinal else { return }
        payload.removeAll(keepingCapacity: true)
        if let name = cue.speaker, case let speaker = annotation(for: name), !speaker.isEmpty {
            payload.append(contentsOf: "<v ".utf8)
            payload.append(contentsOf: speaker.utf8)
            payload.append(UInt8(ascii: ">"))
        }
        let prefixCount = payload.count
        Self.writeText(cue.text, into: &payload)
        guard payload.count > prefixCount else { return }

        let start = max(0, cue.startMs)
        buffer.append(10)
        buffer.append(contentsOf: uniqueID(for: cue.key).utf8)
        buffer.append(10)
        Self.writeTimestamp(start, into: &buffer)
        buffer.append(contentsOf: " --> ".utf8)
        Self.writeTimestamp(max(start, cue.endMs), into: &buffer)
        buffer.append(10)
        buffer.append(contentsOf: payload)
    }

    /// `hh:mm:ss.mmm`, hours at least two digits and as many more as needed (`100:00:00.000`).
    public static func timestamp(_ ms: Int64) -> String {
        var out: [UInt8] = []
        writeTimestamp(ms, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `X-TIMESTAMP-MAP=MPEGTS:<first PTS in 90 kHz ticks>,LOCAL:00:00:00.000`. The tick count
    /// wraps at 2^33 as MPEG-TS timestamps do; a negative or unmeasurable time maps to 0.
    public static func timestampMapLine(firstPTSSeconds: Double) -> String {
        let ticks = firstPTSSeconds.isFinite && firstPTSSeconds > 0 ? (firstPTSSeconds * 90_000).rounded() : 0
        let wrapped = ticks < 0x1_0000_0000_0000 ? Int64(ticks) % (1 << 33) : 0
        return "X-TIMESTAMP-MAP=MPEGTS:\(wrapped),LOCAL:00:00:00.000"
    }

    private static func writeTimestamp(_ milliseconds: Int64, into out: inout [UInt8]) {
        let ms = max(0, milliseconds)
        let hours = ms / 3_600_000
        if hours < 10 { out.append(48) }
        out.append(contentsOf: String(hours).utf8)
        func two(_ value: Int64) {
            out.append(UInt8(48 + value / 10))
            out.append(UInt8(48 + value % 10))
        }
        out.append(58)
        two(ms / 60_000 % 60)
        out.append(58)
        two(ms / 1000 % 60)
        out.append(46)
        let fraction = ms % 1000
        out.append(UInt8(48 + fraction / 100))
        two(fraction % 100)
    }

    /// The cue's text as payload lines, each ending in LF, blank ones dropped.
    private static func writeText(_ text: String, into out: inout [UInt8]) {
        // Most cues are one line with nothing to escape: copied whole, as the loop below would
        // write it byte by byte (and dropped, as it would be, when only spaces).
        var plain = true
        var hasContent = false
        scan: for byte in text.utf8 {
            switch byte {
            case 32: continue
            case 0..<32, 127, UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), 0xC2:
                plain = false
                break scan
            default: hasContent = true
            }
        }
        if plain {
            if hasContent {
                out.append(contentsOf: text.utf8)
                out.append(10)
            }
            return
        }
        var lineStart = out.count
        var lineHasContent = false
        var afterCR = false
        var pendingC2 = false
        func endLine() {
            if lineHasContent {
                out.append(10)
            } else {
                out.removeSubrange(lineStart...)
            }
            lineStart = out.count
            lineHasContent = false
        }
        func replacement() {
            out.append(contentsOf: [0xEF, 0xBF, 0xBD])
            lineHasContent = true
        }
        for byte in text.utf8 {
            if pendingC2 {
                pendingC2 = false
                // U+0080...U+009F, the C1 controls, are C2 80...C2 9F in UTF-8.
                if byte <= 0x9F {
                    replacement()
                    continue
                }
                out.append(0xC2)
            }
            if byte == 10, afterCR {
                afterCR = false
                continue
            }
            afterCR = false
            switch byte {
            case 13:
                endLine()
                afterCR = true
            case 10:
                endLine()
            case 32, 9:
                out.append(byte)
            case 0..<32, 127:
                replacement()
            case UInt8(ascii: "&"):
                out.append(contentsOf: "&amp;".utf8)
                lineHasContent = true
            case UInt8(ascii: "<"):
                out.append(contentsOf: "&lt;".utf8)
                lineHasContent = true
            case UInt8(ascii: ">"):
                out.append(contentsOf: "&gt;".utf8)
                lineHasContent = true
            case 0xC2:
                pendingC2 = true
                lineHasContent = true
            default:
                out.append(byte)
                lineHasContent = true
            }
        }
        endLine()
    }

    private mutating func annotation(for speaker: String) -> String {
        if let lastSpeaker, lastSpeaker.name == speaker { return lastSpeaker.annotation }
        let annotation = Self.voiceAnnotation(speaker)
        lastSpeaker = (speaker, annotation)
        return annotation
    }

    /// The speaker as a voice span's annotation: escaped, on one line, with white space
    /// collapsed as WebVTT parsers collapse it, so it reads back as written; empty for no span.
    static func voiceAnnotation(_ speaker: String) -> String {
        var words: [String] = []
        var current = ""
        for scalar in speaker.unicodeScalars {
            if ProviderText.isControl(scalar) || scalar == " " || scalar == "\u{0C}" {
                if !current.isEmpty { words.append(current) }
                current = ""
                continue
            }
            switch scalar {
            case "&": current += "&amp;"
            case "<": current += "&lt;"
            case ">": current += "&gt;"
            default: current.unicodeScalars.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        // WebVTT trims only ASCII white space from an annotation, but parsers built on Unicode
        // regular expressions (webvtt-py) also drop a no-break or ideographic space at either
        // end; a name never needs one there, so none is written.
        var scalars = words.joined(separator: " ").unicodeScalars[...]
        while scalars.first?.properties.isWhitespace == true { scalars = scalars.dropFirst() }
        while scalars.last?.properties.isWhitespace == true { scalars = scalars.dropLast() }
        let annotation = String(String.UnicodeScalarView(scalars))
        // `<v Bob -->` would hold an arrow, and a line with an arrow starts a new cue; parsers
        // drop the annotation's trailing space, so one before `>` keeps the name intact.
        return annotation.hasSuffix("-") ? annotation + " " : annotation
    }

    /// The cue's id: its key on one line, without `-->`, not starting like a comment, style or
    /// region block, and unique in the file (`key`, `key-2`, `key-3`, ...).
    /// Compared by scalar and byte, as parsers read the line: `-->` followed by a combining mark
    /// is a different Character but still an arrow.
    private mutating func uniqueID(for key: String) -> String {
        var candidate = Self.isPlainID(key) ? key : Self.idLine(key)
        let id = candidate
        var n = 2
        while !usedIDs.insert(candidate).inserted {
            candidate = "\(id)-\(n)"
            n += 1
        }
        return candidate
    }

    /// Whether `key` is its own id line, as most keys are: printable ASCII, not starting or
    /// ending with a space, no arrow, not read as a block's keyword. The general rewriting
    /// (``idLine(_:)``) leaves such a key as it is, at several times the cost per cue.
    static func isPlainID(_ key: String) -> Bool {
        guard let first = key.utf8.first, let last = key.utf8.last, first != 0x20, last != 0x20 else { return false }
        var dashes = 0
        for byte in key.utf8 {
            guard (0x20...0x7E).contains(byte), !(byte == UInt8(ascii: ">") && dashes >= 2) else { return false }
            dashes = byte == UInt8(ascii: "-") ? dashes + 1 : 0
        }
        return !blockKeywords.contains { key.utf8.starts(with: $0.utf8) }
    }

    private static let blockKeywords = ["NOTE", "STYLE", "REGION"]

    /// A key as an id line: control characters and arrow heads replaced, trimmed, never empty
    /// nor starting with a block's keyword (not yet made unique).
    static func idLine(_ key: String) -> String {
        var scalars = String.UnicodeScalarView()
        var dashes = 0
        for scalar in key.unicodeScalars {
            let arrowHead = scalar == ">" && dashes >= 2
            scalars.append(ProviderText.isControl(scalar) || arrowHead ? "_" : scalar)
            dashes = scalar == "-" ? dashes + 1 : 0
        }
        var id = String(scalars).trimmingCharacters(in: .whitespaces)
        if id.isEmpty { id = "cue" }
        if blockKeywords.contains(where: { id.utf8.starts(with: $0.utf8) }) { id = "cue-" + id }
        return id
    }
}
