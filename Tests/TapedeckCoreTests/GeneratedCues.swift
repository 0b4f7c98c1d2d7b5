import Foundation
import TapedeckCore
import TestSupport

/// Cues built from the hostile corpus, markup-like pieces and random times, and what a WebVTT
/// reader must get back for each, worked out here from the writer's documented rules rather
/// than from its code.
enum GeneratedCues {
    static let pieces: [String] =
        HostileStrings.all + [
            "", "\n", "\r\n", "\r", " ", "\t", "\n\n", "\n \n", "-->", "--", "<v Bob>", "</v>", "&amp;", "&", "&lt;",
            "&#45;", "<", ">", "NOTE", "WEBVTT", "STYLE", "00:00:01.000 --> 00:00:02.000", "\u{2028}", "\u{301}",
            "\u{85}", "\u{0C}", "Hello, world.",
        ]

    static func make(count: Int, seed: UInt64) -> [Cue] {
        var random = SeededRandom(seed: seed)
        var keys: [String] = []
        return (0..<count).map { i in
            func piece() -> String { pieces.randomElement(using: &random)! }
            func phrase(_ parts: ClosedRange<Int>) -> String {
                (0..<Int.random(in: parts, using: &random)).map { _ in piece() }
                    .joined(separator: ["", " ", "\n", "\r\n", "\n\n", " - "].randomElement(using: &random)!)
            }
            let key: String =
                switch Int.random(in: 0..<10, using: &random) {
                case 0..<4: piece()
                case 4 where !keys.isEmpty: keys.randomElement(using: &random)!
                default: "utt-\(i)"
                }
            keys.append(key)
            let start: Int64 =
                switch Int.random(in: 0..<4, using: &random) {
                case 0: Int64.random(in: 0..<10_000, using: &random)
                case 1: Int64.random(in: 0..<3_600_000, using: &random)
                case 2: Int64.random(in: 0..<400 * 3_600_000, using: &random)
                default: Int64.random(in: 0..<3, using: &random) * 1_000
                }
            let end = start + (Bool.random(using: &random) ? Int64.random(in: 0..<5_000, using: &random) : Int64.random(in: 0...21_600_000, using: &random))
            return Cue(
                key: key, kind: .captions, language: "en", startMs: start, endMs: end, text: phrase(1...4),
                speaker: Int.random(in: 0..<10, using: &random) < 4 ? nil : phrase(1...2), source: .live,
                isFinal: Int.random(in: 0..<10, using: &random) != 0)
        }
    }

    struct Expected: Equatable, CustomStringConvertible {
        var startMs: Int64
        var endMs: Int64
        var text: String
        var speaker: String?
        var description: String { "\(startMs)–\(endMs) \(speaker.map { "[\($0)] " } ?? "")\(text.debugDescription)" }
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// What reading the written cue gives back, or `nil` when the writer leaves it out: only
    /// final cues; line breaks CR LF, CR and LF; control characters other than tab become
    /// U+FFFD; lines of nothing but spaces and tabs dropped; a speaker on one line with runs of
    /// spaces and controls as one space and no Unicode white space at either end; a start no
    /// earlier than 0 and an end no earlier than it.
    static func expected(_ cue: Cue) -> Expected? {
        guard cue.isFinal else { return nil }
        var lines: [String] = []
        var line = String.UnicodeScalarView()
        var afterCR = false
        for scalar in cue.text.unicodeScalars {
            defer { afterCR = scalar == "\r" }
            if scalar == "\n", afterCR { continue }
            if scalar == "\n" || scalar == "\r" {
                lines.append(String(line))
                line = String.UnicodeScalarView()
            } else {
                line.append(isControl(scalar) && scalar != "\t" ? "\u{FFFD}" : scalar)
            }
        }
        lines.append(String(line))
        let text = lines.filter { !$0.unicodeScalars.allSatisfy { $0 == " " || $0 == "\t" } }.joined(separator: "\n")
        guard !text.isEmpty else { return nil }
        let speaker = cue.speaker.map { name in
            name.unicodeScalars.split(whereSeparator: { isControl($0) || $0 == " " })
                .map { String(String.UnicodeScalarView($0)) }.joined(separator: " ")
                .unicodeScalars.trimmed(where: \.properties.isWhitespace)
        }
        let start = max(0, cue.startMs)
        return Expected(startMs: start, endMs: max(start, cue.endMs), text: text, speaker: speaker?.isEmpty == false ? speaker : nil)
    }

    /// The final cues in the order the writer puts them, with what each must read back as.
    static func expectedDocument(_ cues: [Cue]) -> [(cue: Cue, expected: Expected)] {
        cues.sorted { a, b in
            (a.startMs, a.endMs) != (b.startMs, b.endMs)
                ? (a.startMs, a.endMs) < (b.startMs, b.endMs) : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
        }.compactMap { cue in expected(cue).map { (cue, $0) } }
    }

    /// A key the writer must keep as the cue's id, perhaps with `-2`, `-3` ... to make it unique:
    /// one line, no arrow, no padding, not read as a comment, style or region block.
    static func isPlainID(_ key: String) -> Bool {
        !key.isEmpty && !key.unicodeScalars.contains(where: isControl) && arrows(in: key) == 0
            && key == key.trimmingCharacters(in: .whitespaces)
            && !["NOTE", "STYLE", "REGION"].contains(where: { key.utf8.starts(with: $0.utf8) })
    }

    /// How many times `-->` occurs, byte by byte as a WebVTT parser looks for it: with
    /// Characters, an arrow followed by a combining mark would go unseen.
    static func arrows(in text: some StringProtocol) -> Int {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3 else { return 0 }
        return (0...(bytes.count - 3)).filter { bytes[$0] == 45 && bytes[$0 + 1] == 45 && bytes[$0 + 2] == 62 }.count
    }
}

extension String.UnicodeScalarView {
    /// The scalars without those matching `drop` at either end, as a string.
    func trimmed(where drop: (Unicode.Scalar) -> Bool) -> String {
        var scalars = self[...]
        while let first = scalars.first, drop(first) { scalars = scalars.dropFirst() }
        while let last = scalars.last, drop(last) { scalars = scalars.dropLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
