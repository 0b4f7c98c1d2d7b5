import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("WebVTT round trip")
struct WebVTTRoundTripTests {
    @Test("written cues read back as the same cues, over generated cases", arguments: 1...24 as ClosedRange<UInt64>)
    func roundTrip(seed: UInt64) throws {
        let cues = GeneratedCues.make(count: 150, seed: seed)
        let vtt = WebVTTWriter.document(cues, firstPTSSeconds: seed % 2 == 0 ? 1.4 : nil)
        let parsed = try CaptionFileParser.parse(Array(vtt.utf8), format: .webVTT)
        let expected = GeneratedCues.expectedDocument(cues)
        // The generator must reach the cases that matter, or this test proves little.
        #expect(expected.count > 100 && expected.count < cues.count)
        #expect(parsed.count == expected.count)
        for (read, (cue, want)) in zip(parsed, expected) {
            let got = GeneratedCues.Expected(startMs: read.startMs, endMs: read.endMs, text: read.text, speaker: read.speaker)
            #expect(got == want, "cue \(cue.key.debugDescription) from \(cue.text.debugDescription)")
            let id = try #require(read.id)
            if GeneratedCues.isPlainID(cue.key) {
                let suffix = id.hasPrefix(cue.key) ? id.dropFirst(cue.key.count) : "x"
                #expect(suffix.isEmpty || (suffix.hasPrefix("-") && Int(suffix.dropFirst()).map { $0 >= 2 } == true), "\(id) for \(cue.key)")
            }
        }
        let ids = parsed.compactMap(\.id)
        #expect(Set(ids).count == ids.count)
    }

    @Test("every hostile string reads back as text, as speaker and inside a longer text")
    func hostile() throws {
        var cues: [Cue] = []
        for (i, hostile) in HostileStrings.all.enumerated() {
            let t = Int64(i) * 10
            cues.append(Cue(key: hostile, kind: .captions, language: "en", startMs: t, endMs: t + 1, text: hostile, source: .live))
            cues.append(
                Cue(key: "s\(i)", kind: .captions, language: "en", startMs: t + 1, endMs: t + 2, text: "x", speaker: hostile, source: .live))
            cues.append(
                Cue(key: "t\(i)", kind: .captions, language: "en", startMs: t + 2, endMs: t + 3, text: "<\(hostile)>\n\(hostile)&",
                    speaker: "\(hostile)-->", source: .live))
        }
        let parsed = try CaptionFileParser.parse(Array(WebVTTWriter.document(cues).utf8), format: .webVTT)
        let expected = GeneratedCues.expectedDocument(cues).map(\.expected)
        #expect(parsed.count == expected.count)
        for (read, want) in zip(parsed, expected) {
            #expect(GeneratedCues.Expected(startMs: read.startMs, endMs: read.endMs, text: read.text, speaker: read.speaker) == want)
        }
    }

    @Test("a round trip through SRT keeps times and text")
    func srt() throws {
        let srt = "1\r\n00:00:00,000 --> 00:00:00,999\r\nfirst\r\n\r\n2\r\n00:59:59,999 --> 100:00:00,000\r\nsecond\r\nline\r\n"
        let cues = try CaptionFileParser.parse(Array(srt.utf8), format: .srt).enumerated().map { i, c in
            Cue(key: c.id ?? "\(i)", kind: .captions, language: "en", startMs: c.startMs, endMs: c.endMs, text: c.text, source: .upload)
        }
        #expect(
            WebVTTWriter.document(cues) == """
                WEBVTT

                1
                00:00:00.000 --> 00:00:00.999
                first

                2
                00:59:59.999 --> 100:00:00.000
                second
                line

                """)
    }
}
