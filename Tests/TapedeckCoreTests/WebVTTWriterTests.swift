import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("WebVTT writer")
struct WebVTTWriterTests {
    static func cue(
        _ key: String, _ startMs: Int64, _ endMs: Int64, _ text: String, speaker: String? = nil, isFinal: Bool = true
    ) -> Cue {
        Cue(
            key: key, kind: .captions, language: "en", startMs: startMs, endMs: endMs, text: text, speaker: speaker,
            source: .live, isFinal: isFinal)
    }

    @Test(
        "timestamps are hh:mm:ss.mmm with at least two hour digits",
        arguments: [
            (0, "00:00:00.000"), (1, "00:00:00.001"), (999, "00:00:00.999"), (1_000, "00:00:01.000"),
            (59_999, "00:00:59.999"), (3_599_999, "00:59:59.999"), (3_600_000, "01:00:00.000"),
            (3_661_001, "01:01:01.001"), (35_999_999, "09:59:59.999"), (86_399_999, "23:59:59.999"),
            (359_999_999, "99:59:59.999"), (360_000_000, "100:00:00.000"), (3_600_000_000, "1000:00:00.000"),
            (-5, "00:00:00.000"),
        ] as [(Int64, String)])
    func timestamps(_ ms: Int64, _ text: String) {
        #expect(WebVTTWriter.timestamp(ms) == text)
    }

    @Test("a document: header, blank-line separated cues with ids, timings, voice spans")
    func document() {
        let vtt = WebVTTWriter.document([
            Self.cue("b", 1_500, 4_000, "Second", speaker: "Grace Hopper"),
            Self.cue("a", 0, 1_250, "First line\nsecond line"),
        ])
        #expect(
            vtt == """
                WEBVTT

                a
                00:00:00.000 --> 00:00:01.250
                First line
                second line

                b
                00:00:01.500 --> 00:00:04.000
                <v Grace Hopper>Second

                """)
        #expect(WebVTTWriter.document([]) == "WEBVTT\n")
    }

    @Test("for HLS the header maps cue time 0 to the video's first PTS in 90 kHz ticks")
    func timestampMap() {
        #expect(
            WebVTTWriter.document([], firstPTSSeconds: 1.4) == "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n")
        #expect(WebVTTWriter.timestampMapLine(firstPTSSeconds: 0) == "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000")
        #expect(WebVTTWriter.timestampMapLine(firstPTSSeconds: 1.433333) == "X-TIMESTAMP-MAP=MPEGTS:129000,LOCAL:00:00:00.000")
        #expect(WebVTTWriter.timestampMapLine(firstPTSSeconds: 10) == "X-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000")
        #expect(WebVTTWriter.timestampMapLine(firstPTSSeconds: -1) == "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000")
        #expect(WebVTTWriter.timestampMapLine(firstPTSSeconds: .nan) == "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000")
        // 33-bit timestamps wrap: 2^33 ticks is 0 again.
        let wrap = Double(1 << 33) / 90_000
        #expect(WebVTTWriter.timestampMapLine(firstPTSSeconds: wrap + 1) == "X-TIMESTAMP-MAP=MPEGTS:90000,LOCAL:00:00:00.000")
        let vtt = WebVTTWriter.document([Self.cue("a", 0, 1, "x")], firstPTSSeconds: 1.4)
        #expect(vtt.hasPrefix("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\n\na\n00:00:00.000 --> "))
    }

    @Test("&, < and > are escaped in text and speaker, so no text holds a tag or an arrow")
    func escaping() {
        let vtt = WebVTTWriter.document([
            Self.cue("k", 0, 1_000, "a & b <i>c</i> --> d &amp;", speaker: "<Ada & \"Bob\">")
        ])
        #expect(vtt.contains("\n<v &lt;Ada &amp; \"Bob\"&gt;>a &amp; b &lt;i&gt;c&lt;/i&gt; --&gt; d &amp;amp;\n"))
        #expect(GeneratedCues.arrows(in: vtt) == 1)
    }

    @Test("blank lines inside text are dropped, line ends become LF, controls U+FFFD")
    func payloadShape() {
        let vtt = WebVTTWriter.document([
            Self.cue("k", 0, 1_000, "one\n\n\ntwo\n \n\t\nthree\r\nfour\rfive\r\n\r\n  six\u{0}\u{1B}\u{85}\u{7F}\n\u{A0}\n")
        ])
        #expect(vtt.hasSuffix("\none\ntwo\nthree\nfour\nfive\n  six\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\n\u{A0}\n"))
        #expect(!vtt.dropFirst("WEBVTT\n\n".count).contains("\n\n"))
        #expect(!vtt.contains("\r"))
    }

    @Test("a speaker is on one line with white space collapsed; an empty one writes no span")
    func speakers() {
        let vtt = WebVTTWriter.document([
            Self.cue("a", 0, 1, "x", speaker: "  Ada \n\t Lovelace\u{0} "),
            Self.cue("b", 1, 2, "y", speaker: " \t "),
            Self.cue("c", 2, 3, "z", speaker: ""),
        ])
        #expect(vtt.contains("\n<v Ada Lovelace>x\n"))
        #expect(vtt.contains("\ny\n") && vtt.contains("\nz\n"))
        #expect(vtt.components(separatedBy: "<v").count == 2)
        // No Unicode white space at either end, which some parsers would drop; inside, it stays.
        let wide = WebVTTWriter.document([Self.cue("w", 0, 1, "x", speaker: "\u{A0}Ada\u{A0}Lovelace\u{3000}\u{2028}")])
        #expect(wide.hasSuffix("\n<v Ada\u{A0}Lovelace>x\n"))
        #expect(!WebVTTWriter.document([Self.cue("n", 0, 1, "x", speaker: "\u{A0}")]).contains("<v"))
        // A name ending in dashes must not close its span with an arrow.
        let dashes = WebVTTWriter.document([Self.cue("d", 0, 1, "x", speaker: "Bob --")])
        #expect(dashes.hasSuffix("\n<v Bob -- >x\n"))
        #expect(GeneratedCues.arrows(in: dashes) == 1)
    }

    @Test("cues with no text left, and interim cues, are not written")
    func omitted() {
        let vtt = WebVTTWriter.document([
            Self.cue("empty", 0, 1, " \n\t\n"), Self.cue("blank", 0, 1, "", speaker: "Ada"),
            Self.cue("interim", 0, 1, "draft", isFinal: false), Self.cue("kept", 0, 1, "final"),
        ])
        #expect(vtt == "WEBVTT\n\nkept\n00:00:00.000 --> 00:00:00.001\nfinal\n")
        var writer = WebVTTWriter()
        writer.append(Self.cue("interim", 0, 1, "draft", isFinal: false))
        #expect(writer.bytes == Array("WEBVTT\n".utf8))
    }

    @Test("ids are the keys made safe and unique")
    func ids() {
        let keys = ["a", "a", "a-2", "x-->y", "line\nbreak", "  padded  ", "", " ", "NOTE this", "STYLE", "REGION x", "NOTES", "--->"]
        let vtt = WebVTTWriter.document(keys.enumerated().map { Self.cue($0.element, Int64($0.offset), 100, "t") })
        let blocks = vtt.components(separatedBy: "\n\n").dropFirst()
        let ids = blocks.map { String($0.prefix { $0 != "\n" }) }
        #expect(ids == ["a", "a-2", "a-2-2", "x--_y", "line_break", "padded", "cue", "cue-2", "cue-NOTE this", "cue-STYLE", "cue-REGION x", "cue-NOTES", "---_"])
        #expect(Set(ids).count == ids.count)
    }

    @Test("sorted by start, then end, then key; times clamped so a cue never ends before it starts")
    func order() {
        let vtt = WebVTTWriter.document([
            Self.cue("c", 5, 9, "5"), Self.cue("b", 5, 7, "4"), Self.cue("a", 5, 7, "3"), Self.cue("z", 0, 10, "1"),
            Self.cue("y", 2, 3, "2"), Self.cue("neg", -10, -5, "0"),
        ])
        let texts = vtt.components(separatedBy: "\n\n").dropFirst().map { $0.split(separator: "\n").last.map(String.init) }
        #expect(texts == ["0", "1", "2", "3", "4", "5"])
        #expect(vtt.contains("neg\n00:00:00.000 --> 00:00:00.000\n"))
        #expect(WebVTTWriter.document([Self.cue("r", 500, 100, "x")]).contains("00:00:00.500 --> 00:00:00.500"))
    }

    @Test("written in chunks it is the same document, and 10,000 cues cost about ten times 1,000")
    func incremental() {
        let cues = (0..<10_000).map { i in
            Self.cue("utt-\(i)", Int64(i) * 1_500, Int64(i) * 1_500 + 1_400, "Line \(i) & <more>\nsecond", speaker: i % 3 == 0 ? "Ada" : nil)
        }
        func write(_ cues: ArraySlice<Cue>) -> [[UInt8]] {
            var chunks: [[UInt8]] = []
            var writer = WebVTTWriter(firstPTSSeconds: 1.4)
            for (index, cue) in cues.enumerated() {
                writer.append(cue)
                if index % 1_000 == 999 { chunks.append(writer.takeBytes()) }
            }
            chunks.append(writer.takeBytes())
            return chunks
        }
        let chunks = write(cues[...])
        let whole = WebVTTWriter.document(cues, firstPTSSeconds: 1.4)
        #expect(chunks.flatMap { $0 } == Array(whole.utf8))
        #expect(whole.components(separatedBy: "\n\n").count == 10_001)
        // Linear, not quadratic: against a tenth of the cues, measured alongside (the fastest of
        // three runs each, so a busy machine's pauses drop out). Quadratic work would be ~100x.
        let clock = ContinuousClock()
        func fastest(_ cues: ArraySlice<Cue>) -> Duration {
            (0..<3).map { _ in clock.measure { _ = write(cues) } }.min()!
        }
        let tenth = fastest(cues[..<1_000]), all = fastest(cues[...])
        #expect(all < tenth * 30, "10,000 cues took \(all), 1,000 took \(tenth)")
    }

    @Test("taking the bytes empties the buffer; the document goes on, ids still unique")
    func takeBytes() {
        var writer = WebVTTWriter()
        #expect(writer.takeBytes() == Array("WEBVTT\n".utf8))
        #expect(writer.bytes.isEmpty)
        writer.append(Self.cue("k", 0, 1, "x"))
        #expect(writer.takeBytes() == Array("\nk\n00:00:00.000 --> 00:00:00.001\nx\n".utf8))
        writer.append(Self.cue("k", 1, 2, "y"))
        #expect(writer.bytes == Array("\nk-2\n00:00:00.001 --> 00:00:00.002\ny\n".utf8))
    }

    @Test("every hostile string as text, speaker and key keeps the file's shape")
    func hostile() {
        let all = HostileStrings.all
        var cues: [Cue] = []
        for (i, hostile) in all.enumerated() {
            let t = Int64(i) * 1_000
            cues.append(Self.cue(hostile, t, t + 900, hostile))
            cues.append(Self.cue("speaker-\(i)", t, t + 900, "said", speaker: hostile))
            cues.append(Self.cue(hostile, t, t + 900, "line one\n\(hostile)\n\nline three", speaker: hostile))
        }
        let vtt = WebVTTWriter.document(cues)
        #expect(!vtt.contains("\r") && !vtt.contains("\u{0}"))
        let blocks = vtt.components(separatedBy: "\n\n")
        #expect(blocks.first == "WEBVTT")
        var ids: Set<String> = []
        for block in blocks.dropFirst() {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
            #expect(lines.count >= 3, "\(block.debugDescription)")
            // Line 1 the id, line 2 the only arrow, then text that no parser could mistake.
            #expect(
                GeneratedCues.arrows(in: lines[0]) == 0 && !lines[0].utf8.starts(with: "NOTE".utf8)
                    && lines[0] == lines[0].trimmingCharacters(in: .whitespaces))
            #expect(ids.insert(String(lines[0])).inserted)
            #expect(lines[1].contains(" --> ") && GeneratedCues.arrows(in: block) == 1, "\(block.debugDescription)")
            for line in lines.dropFirst(2) {
                #expect(!line.allSatisfy { $0 == " " || $0 == "\t" }, "\(block.debugDescription)")
                let withoutVoice = line.hasPrefix("<v ") ? line[line.firstIndex(of: ">")!...].dropFirst() : line[...]
                #expect(!withoutVoice.contains("<") && !withoutVoice.contains(">"), "\(block.debugDescription)")
            }
        }
        // Only a text of nothing but spaces and tabs leaves a cue out.
        let blankTexts = all.filter { text in
            text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
                .allSatisfy { $0.allSatisfy { $0 == " " || $0 == "\t" } }
        }
        #expect(blankTexts.count == 3)
        #expect(blocks.count - 1 == cues.count - blankTexts.count)
    }
}
