import Foundation

/// WebVTT files as the WebVTT specification's parser reads them, except that a block it would
/// drop silently (no timings, a malformed timestamp) is an error naming the line.
enum WebVTTReader {
    static func parse(_ text: String) throws(CaptionFileError) -> [ParsedCaption] {
        let lines = CaptionFileParser.lines(text)
        guard let first = lines.first, startsBlock(first, "WEBVTT") else {
            throw CaptionFileError(reason: .malformed, line: 1, detail: "a WebVTT file starts with the line WEBVTT")
        }
        var cues: [ParsedCaption] = []
        var i = 1
        // The header runs to the first empty line (metadata such as X-TIMESTAMP-MAP).
        while i < lines.count, !lines[i].isEmpty, !CaptionFileParser.hasArrow(lines[i]) { i += 1 }
        while i < lines.count {
            if isBlank(lines[i]) {
                i += 1
                continue
            }
            let block = lines[i]
            if startsBlock(block, "NOTE") || (!CaptionFileParser.hasArrow(block) && (startsBlock(block, "STYLE") || startsBlock(block, "REGION"))) {
                while i < lines.count, !lines[i].isEmpty { i += 1 }
                continue
            }
            var id: String?
            if !CaptionFileParser.hasArrow(block) {
                id = String(block)
                i += 1
                guard i < lines.count, CaptionFileParser.hasArrow(lines[i]) else {
                    // A line that starts like a time was meant as the timings: say what is wrong
                    // with it rather than with the line after.
                    if block.utf8.first.map({ $0 >= 48 && $0 <= 57 }) == true {
                        _ = try CaptionFileParser.timings(block, line: i, format: format, timestamp: timestamp)
                    }
                    throw CaptionFileError(
                        reason: .malformed, line: i + 1,
                        detail: "expected cue timings (00:00:01.000 --> 00:00:02.000) after the cue identifier")
                }
            }
            let timingLine = i + 1
            let (start, end) = try CaptionFileParser.timings(
                lines[i], line: timingLine, format: format, timestamp: timestamp)
            i += 1
            var payload: [Substring] = []
            // An empty line ends the payload; so does a line with an arrow, which starts a cue.
            while i < lines.count, !lines[i].isEmpty, !CaptionFileParser.hasArrow(lines[i]) {
                payload.append(lines[i])
                i += 1
            }
            let (body, speaker) = cueText(payload.joined(separator: "\n"))
            if CueText.isBlank(body) { continue }
            guard cues.count < CaptionFileParser.maximumCues else { throw CaptionFileParser.tooManyCues(at: timingLine) }
            cues.append(
                ParsedCaption(
                    startMs: start, endMs: end, text: CueText.withoutControls(body), speaker: speaker.map(ProviderText.cleaned),
                    id: id.map(ProviderText.cleaned)))
        }
        return cues
    }

    private static let format = "timestamps are [hh:]mm:ss.ttt, as in 00:01:02.500 --> 00:01:04.000"

    private static func isBlank(_ line: Substring) -> Bool {
        line.utf8.allSatisfy { $0 == 32 || $0 == 9 }
    }

    /// `NOTE`, `STYLE` or `REGION` alone or followed by white space.
    static func startsBlock(_ line: Substring, _ keyword: String) -> Bool {
        guard line.utf8.starts(with: keyword.utf8) else { return false }
        let next = line.utf8.dropFirst(keyword.utf8.count).first
        return next == nil || next == 32 || next == 9
    }


    /// A WebVTT timestamp in milliseconds: hours optional (any number of digits), minutes and
    /// seconds two digits below 60, three digits of milliseconds.
    private static func timestamp(_ s: Substring.UTF8View, _ i: inout Substring.UTF8View.Index) -> Int64? {
        let firstStart = i
        guard let first = CaptionFileParser.number(s, &i, digits: nil) else { return nil }
        let firstIsHours = s.distance(from: firstStart, to: i) != 2 || first > 59
        guard i != s.endIndex, s[i] == 58 else { return nil }
        i = s.index(after: i)
        guard let second = CaptionFileParser.number(s, &i, digits: 2) else { return nil }
        var hours: Int64 = 0, minutes = first, seconds = second
        if firstIsHours || (i != s.endIndex && s[i] == 58) {
            guard i != s.endIndex, s[i] == 58 else { return nil }
            i = s.index(after: i)
            guard let third = CaptionFileParser.number(s, &i, digits: 2) else { return nil }
            (hours, minutes, seconds) = (first, second, third)
        }
        guard minutes < 60, seconds < 60, i != s.endIndex, s[i] == 46 else { return nil }
        i = s.index(after: i)
        guard let fraction = CaptionFileParser.number(s, &i, digits: 3) else { return nil }
        return ((hours * 60 + minutes) * 60 + seconds) * 1000 + fraction
    }

    /// The cue text without tags, references decoded, and the first voice span's name. Scalars,
    /// not Characters: a `<` or `>` with a combining mark after it is still a tag's edge.
    static func cueText(_ payload: String) -> (text: String, speaker: String?) {
        var text = String.UnicodeScalarView()
        var speaker: String?
        var rest = payload.unicodeScalars[...]
        while let open = rest.firstIndex(of: "<") {
            // A `<` without a closing `>` is kept as text rather than swallowing the rest.
            guard let close = rest[open...].firstIndex(of: ">") else { break }
            text.append(contentsOf: rest[..<open])
            let tag = rest[rest.index(after: open)..<close]
            // `<v Name>` or `<v.class Name>`: the annotation, white space collapsed, is the name.
            if speaker == nil, let cut = tag.firstIndex(where: isSpace), tag[..<cut].elementsEqual(["v"]) || tag[..<cut].starts(with: ["v", "."]) {
                let words = tag[cut...].split(whereSeparator: isSpace).map { String(String.UnicodeScalarView($0)) }
                let name = words.joined(separator: " ")
                if !name.isEmpty { speaker = CharacterReferences.decode(name.unicodeScalars[...]) }
            }
            rest = rest[rest.index(after: close)...]
        }
        text.append(contentsOf: rest)
        return (CharacterReferences.decode(text[...]), speaker)
    }

    /// WebVTT's white space within a tag; CR never survives line splitting.
    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\u{0C}"
    }
}
