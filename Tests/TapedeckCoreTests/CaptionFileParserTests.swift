import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("Caption file parser")
struct CaptionFileParserTests {
    static func parse(_ text: String, _ format: CaptionFileParser.Format) throws(CaptionFileError) -> [ParsedCaption] {
        try CaptionFileParser.parse(Array(text.utf8), format: format)
    }

    static func failure(_ text: String, _ format: CaptionFileParser.Format) -> CaptionFileError? {
        failure(Array(text.utf8), format)
    }

    static func failure(_ bytes: [UInt8], _ format: CaptionFileParser.Format) -> CaptionFileError? {
        do {
            _ = try CaptionFileParser.parse(bytes, format: format)
            return nil
        } catch {
            return error
        }
    }

    /// What a reader makes of controls in text: all but tab and line feed become U+FFFD.
    static func withoutControls(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)) && scalar != "\t" && scalar != "\n" ? "\u{FFFD}" : scalar
        }))
    }

    @Test("WebVTT: header, comments, styles, regions, ids, settings, voices, tags and references")
    func webVTT() throws {
        let file = "\u{FEFF}WEBVTT - a title\r\nKind: captions\r\nX-TIMESTAMP-MAP=MPEGTS:126000,LOCAL:00:00:00.000\r\n\r\n"
            + "STYLE\r\n::cue { color: yellow }\r\n\r\nREGION\r\nid:fred\r\n\r\n"
            + "NOTE a comment\r\nthat spans lines\r\n\r\n"
            + "intro\r\n00:01.000 --> 00:02.500 align:start line:0\r\n<v.loud Ada  Lovelace>Hello &amp; <i>welcome</i>,\r\n<c.yellow>friends</c> &lt;3 &gt; &nbsp;&#233;&#xE9;&bogus; &amp\r\n\r\n"
            + "00:00:03.000 --> 123:00:04.000\r\n<00:00:03.500>timed <b>words</b>\r\n  \r\nafter a line of spaces\r\n"
            + "00:00:05.000 --> 00:00:06.000\r\nan arrow line starts a cue without a blank line\r\n\r\n"
            + "NOTE\r\n\r\n"
            + "tail\r\n00:00:07.000 --> 00:00:08.000\r\n<v Grace>a < b\r\n"
        let cues = try Self.parse(file, .webVTT)
        #expect(
            cues == [
                ParsedCaption(
                    startMs: 1_000, endMs: 2_500, text: "Hello & welcome,\nfriends <3 > \u{A0}éé&bogus; &amp", speaker: "Ada Lovelace",
                    id: "intro"),
                ParsedCaption(startMs: 3_000, endMs: 442_804_000, text: "timed words\n  \nafter a line of spaces"),
                ParsedCaption(startMs: 5_000, endMs: 6_000, text: "an arrow line starts a cue without a blank line"),
                ParsedCaption(startMs: 7_000, endMs: 8_000, text: "a < b", speaker: "Grace", id: "tail"),
            ])
        // CR alone ends lines too; cues with nothing but tags are skipped.
        let mac = try Self.parse("WEBVTT\r\r00:00.000 --> 00:01.000\rone\r\r00:01.000 --> 00:02.000\r<i></i>\r", .webVTT)
        #expect(mac == [ParsedCaption(startMs: 0, endMs: 1_000, text: "one")])
        #expect(try Self.parse("WEBVTT", .webVTT).isEmpty)
    }

    @Test(
        "WebVTT errors name the line",
        arguments: [
            ("", 1), ("WEBVTTX\n", 1), ("webvtt\n", 1), ("<v A>hi\n", 1),
            ("WEBVTT\n\nid only\n\n00:00.000 --> 00:01.000\nx\n", 4),
            ("WEBVTT\n\nid\nno timings here\n", 4),
            ("WEBVTT\n\n00:00.000 --> 00:01.000\nok\n\n00:60.000 --> 00:61.000\nbad seconds\n", 6),
            ("WEBVTT\n\n00:00.00 --> 00:01.000\nx\n", 3), ("WEBVTT\n\n00:00.000 -> 00:01.000\nx\n", 3),
            ("WEBVTT\n\n00:00.000 --> 00:01.000x\nx\n", 3), ("WEBVTT\n\n00:02.000 --> 00:01.000\nx\n", 3),
            ("WEBVTT\n\n01:60:00.000 --> 02:00:00.000\nx\n", 3), ("WEBVTT\n\n-->\nx\n", 3),
        ])
    func webVTTErrors(_ text: String, _ line: Int) throws {
        let error = try #require(Self.failure(text, .webVTT))
        #expect(error.reason == .malformed)
        #expect(error.line == line, "\(error)")
        #expect(error.description.hasPrefix("line \(line): "))
    }

    @Test("SRT: BOM, CR LF, missing numbers, a dot before milliseconds, formatting tags")
    func srt() throws {
        let file = "\u{FEFF}1\r\n00:00:01,010 --> 00:00:12,870\r\nJohn: Hello, hello, hello! How's your day been?\r\n\r\n"
            + "2\r\n00:00:14,230 --> 00:00:17,390 X1:100 X2:200 Y1:10 Y2:20\r\n<i>Sarah:</i> <font color=\"#ff0\">Hey</font>, {\\an8}long time & a < b\r\nsecond line\r\n\r\n\r\n"
            + "00:01:00.000 --> 100:00:00.000\r\nno number\r\n \r\n"
            + "4\r\n00:02:00,000 --> 00:02:01,000\r\n<b></b>\r\n"
        let cues = try Self.parse(file, .srt)
        #expect(
            cues == [
                ParsedCaption(startMs: 1_010, endMs: 12_870, text: "John: Hello, hello, hello! How's your day been?", id: "1"),
                ParsedCaption(startMs: 14_230, endMs: 17_390, text: "Sarah: Hey, long time & a < b\nsecond line", id: "2"),
                ParsedCaption(startMs: 60_000, endMs: 360_000_000, text: "no number"),
            ])
    }

    @Test(
        "SRT errors name the line",
        arguments: [
            ("hello\n", 1), ("1\nhello\n", 2), ("1\n00:00:01,000 --> 00:00:02,000\nok\n\nstray text\n", 5),
            ("1\n00:00:01 --> 00:00:02,000\nx\n", 2), ("1\n00:00:01,000 --> 00:00:02,00\nx\n", 2),
            ("1\n00:00:03,000 --> 00:00:02,000\nx\n", 2), ("1\n00:61:00,000 --> 01:62:00,000\nx\n", 2),
            ("1\n00:00:01,000 - 00:00:02,000\nx\n", 2), ("1\n\n00:00:01,000 --> 00:00:02,000\nx\n", 2),
        ])
    func srtErrors(_ text: String, _ line: Int) throws {
        let error = try #require(Self.failure(text, .srt))
        #expect(error.reason == .malformed)
        #expect(error.line == line, "\(error)")
    }

    @Test("100ms transcript JSON: the documented sample, times as strings or numbers")
    func hmsTranscript() throws {
        let sample = """
            {"words": [{"word": "Hello", "name": "John", "peer_id": "cf348192", "start_time": "1010", "end_time": "1570"}],
             "sentences": [
               {"sentence": "Hello, hello, hello! How's your day been?", "name": "John",
                "peer_id": "cf348192-f1d5-4cdb-9eb3-b62c2649e419", "start_time": "1010", "end_time": "12870"},
               {"sentence": "Hey, long time no see! What have you been up to?", "name": "Sarah",
                "peer_id": "05292829-3603-4a64-be91-5a46abdbd5af", "start_time": 14230, "end_time": 17390.4},
               {"sentence": "  ", "name": "Nobody", "start_time": "20000", "end_time": "20001"},
               {"sentence": "anonymous", "name": " ", "start_time": "30000", "end_time": "30001"}
             ]}
            """
        #expect(
            try Self.parse(sample, .hmsTranscriptJSON) == [
                ParsedCaption(startMs: 1_010, endMs: 12_870, text: "Hello, hello, hello! How's your day been?", speaker: "John"),
                ParsedCaption(startMs: 14_230, endMs: 17_390, text: "Hey, long time no see! What have you been up to?", speaker: "Sarah"),
                ParsedCaption(startMs: 30_000, endMs: 30_001, text: "anonymous"),
            ])
        for bad in [
            "[]", "{}", "{\"sentences\": {}}", "not json", "{\"sentences\": [{\"sentence\": \"x\", \"start_time\": \"1\"}]}",
            "{\"sentences\": [{\"sentence\": \"x\", \"start_time\": \"a\", \"end_time\": \"2\"}]}",
            "{\"sentences\": [{\"sentence\": \"x\", \"start_time\": \"5\", \"end_time\": \"2\"}]}",
            "{\"sentences\": [{\"sentence\": \"x\", \"start_time\": -5, \"end_time\": 2}]}",
            "{\"sentences\": [{\"sentence\": 7, \"start_time\": 1, \"end_time\": 2}]}",
        ] {
            let error = Self.failure(bad, .hmsTranscriptJSON)
            #expect(error?.reason == .malformed, "\(bad)")
        }
        #expect(Self.failure("{\"sentences\": [{\"start_time\": \"5\", \"end_time\": \"2\"}]}", .hmsTranscriptJSON)?.detail.hasPrefix("sentences[0] ") == true)
    }

    @Test("formats are told apart by their first bytes")
    func detect() {
        #expect(CaptionFileParser.detectFormat(Array("\u{FEFF}WEBVTT\n".utf8)) == .webVTT)
        #expect(CaptionFileParser.detectFormat(Array("\r\n1\r\n00:00:01,000 --> ".utf8)) == .srt)
        #expect(CaptionFileParser.detectFormat(Array("00:00:01,000 --> ".utf8)) == .srt)
        #expect(CaptionFileParser.detectFormat(Array(" {\"sentences\": []}".utf8)) == .hmsTranscriptJSON)
        #expect(CaptionFileParser.detectFormat(Array("<tt xmlns=...>".utf8)) == nil)
        #expect(CaptionFileParser.detectFormat([UInt8]()) == nil)
    }

    @Test("limits: 10 MB, 100,000 cues, UTF-8 only")
    func limits() throws {
        let large = [UInt8](repeating: UInt8(ascii: "a"), count: CaptionFileParser.maximumBytes + 1)
        #expect(throws: CaptionFileError(reason: .tooLarge, line: 0, detail: "the file is larger than 10 MB")) {
            try CaptionFileParser.parse(large, format: .webVTT)
        }
        var latin1 = Array("WEBVTT\n\n00:00.000 --> 00:01.000\ncaf".utf8)
        latin1.append(0xE9)
        let notUTF8 = try #require(Self.failure(latin1, .webVTT))
        #expect(notUTF8.reason == .notUTF8 && notUTF8.line == 4)

        var many = "WEBVTT\n"
        many.reserveCapacity(4_000_000)
        for i in 0...CaptionFileParser.maximumCues {
            many += "\n\(WebVTTWriter.timestamp(Int64(i))) --> \(WebVTTWriter.timestamp(Int64(i) + 1))\nx\n"
        }
        let tooMany = try #require(Self.failure(many, .webVTT))
        #expect(tooMany.reason == .tooManyCues && tooMany.line == 3 + CaptionFileParser.maximumCues * 3)
        // One fewer cue is fine.
        let lastCue = many.range(of: "\n\n", options: .backwards)!.lowerBound
        #expect(try Self.parse(String(many[..<lastCue]), .webVTT).count == CaptionFileParser.maximumCues)
    }

    @Test("every hostile string, as a payload line, a cue id, a whole file or a speaker, reads or fails cleanly")
    func hostile() throws {
        for hostile in HostileStrings.all {
            // Raw (unescaped) in a payload: whatever a parser makes of it, never a crash, and
            // lines without markup come back as written.
            let vtt = "WEBVTT\n\nid\n00:00.000 --> 00:01.000\n\(hostile)\n"
            if let cues = try? Self.parse(vtt, .webVTT), !hostile.contains("<"), !hostile.contains("&"),
                !hostile.contains("\n"), !hostile.contains("\r"), !hostile.isEmpty, GeneratedCues.arrows(in: hostile) == 0,
                !hostile.unicodeScalars.allSatisfy({ $0 == " " })
            {
                #expect(cues.map(\.text) == [Self.withoutControls(hostile)], "\(hostile.debugDescription)")
            }
            _ = Self.failure("WEBVTT\n\n\(hostile)\n00:00.000 --> 00:01.000\nx\n", .webVTT)
            _ = Self.failure("WEBVTT\n\n00:00.000 --> 00:01.000\n<v \(hostile)>x\n", .webVTT)
            for format in CaptionFileParser.Format.allCases {
                if let error = Self.failure(hostile, format) { #expect(error.reason == .malformed) }
            }
            let srt = "1\n00:00:00,000 --> 00:00:01,000\n\(hostile)\n"
            _ = Self.failure(srt, .srt)
            let json = try String(decoding: JSONSerialization.data(withJSONObject: [
                "sentences": [["sentence": hostile, "name": hostile, "start_time": "0", "end_time": "1"]]
            ]), as: UTF8.self)
            let read = try Self.parse(json, .hmsTranscriptJSON)
            #expect(
                read.map(\.text) == (hostile.unicodeScalars.allSatisfy { " \t\n\r".unicodeScalars.contains($0) } ? [] : [Self.withoutControls(hostile)]))
            #expect(read.allSatisfy { !ProviderText.hasControlCharacters($0.speaker ?? "") })
        }
    }
}
