import Foundation

/// SubRip files: blocks of a cue number (optional, as some tools leave it out), a timing line
/// `00:00:01,000 --> 00:00:02,500` (a `.` before the milliseconds is taken too) and text lines,
/// separated by blank lines. Formatting tags (`<i>`, `<font ...>`) and `{\an8}`-style overrides
/// are removed; SRT has no escaping, so `&` and a `<` that opens no tag stay as written.
enum SRTReader {
    static func parse(_ text: String) throws(CaptionFileError) -> [ParsedCaption] {
        let lines = CaptionFileParser.lines(text)
        var cues: [ParsedCaption] = []
        var i = 0
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.isEmpty {
                i += 1
                continue
            }
            var id: String?
            if !CaptionFileParser.hasArrow(line[...]) {
                guard line.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                    throw CaptionFileError(
                        reason: .malformed, line: i + 1,
                        detail: "expected a cue number or timings (00:00:01,000 --> 00:00:02,000)")
                }
                id = line
                i += 1
                guard i < lines.count, CaptionFileParser.hasArrow(lines[i]) else {
                    throw CaptionFileError(
                        reason: .malformed, line: i + 1, detail: "expected timings (00:00:01,000 --> 00:00:02,000) after cue \(line)")
                }
            }
            let timingLine = i + 1
            let (start, end) = try CaptionFileParser.timings(
                lines[i], line: timingLine, format: "SRT times are hh:mm:ss,mmm, as in 00:01:02,500 --> 00:01:04,000", timestamp: timestamp)
            i += 1
            var body: [String] = []
            while i < lines.count, !lines[i].allSatisfy({ $0 == " " || $0 == "\t" }) {
                body.append(withoutTags(lines[i]))
                i += 1
            }
            let joined = body.joined(separator: "\n")
            if CueText.isBlank(joined) { continue }
            guard cues.count < CaptionFileParser.maximumCues else { throw CaptionFileParser.tooManyCues(at: timingLine) }
            cues.append(ParsedCaption(startMs: start, endMs: end, text: CueText.withoutControls(joined), id: id))
        }
        return cues
    }


    private static func timestamp(_ s: Substring.UTF8View, _ i: inout Substring.UTF8View.Index) -> Int64? {
        guard let hours = CaptionFileParser.number(s, &i, digits: nil), i != s.endIndex, s[i] == 58 else { return nil }
        i = s.index(after: i)
        guard let minutes = CaptionFileParser.number(s, &i, digits: 2), i != s.endIndex, s[i] == 58 else { return nil }
        i = s.index(after: i)
        guard let seconds = CaptionFileParser.number(s, &i, digits: 2), minutes < 60, seconds < 60,
            i != s.endIndex, s[i] == 44 || s[i] == 46
        else { return nil }
        i = s.index(after: i)
        guard let ms = CaptionFileParser.number(s, &i, digits: 3) else { return nil }
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms
    }

    /// The line without `<b>`, `</i>`, `<font color="...">` and `{\an8}`.
    private static func withoutTags(_ line: Substring) -> String {
        var out = String.UnicodeScalarView()
        var rest = line.unicodeScalars[...]
        while let open = rest.firstIndex(where: { $0 == "<" || $0 == "{" }) {
            out.append(contentsOf: rest[..<open])
            let afterOpen = rest.index(after: open)
            let next = rest[afterOpen...].first
            let isTag = rest[open] == "<" ? next.map { $0.properties.isAlphabetic || $0 == "/" } ?? false : next == "\\"
            if isTag, let close = rest[afterOpen...].firstIndex(of: rest[open] == "<" ? ">" : "}") {
                rest = rest[rest.index(after: close)...]
            } else {
                out.append(rest[open])
                rest = rest[afterOpen...]
            }
        }
        out.append(contentsOf: rest)
        return String(out)
    }
}
