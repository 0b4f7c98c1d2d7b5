import Foundation
import Testing
import TapedeckCore
import TestSupport

/// The writer checked by a parser it did not grow up with: webvtt-py reads a file of hostile and
/// generated cues, and must find every cue, with its id, times, text and voice, as written.
@Suite("WebVTT read by webvtt-py", .requiresPythonWebVTT)
struct WebVTTIndependentParserTests {
    /// Prints the cues webvtt-py finds as JSON. Strict, so a block it cannot read is an error
    /// rather than a cue quietly lost; references are decoded as a browser would decode them.
    static let script = """
        import html, json, sys, webvtt
        cues = []
        for c in webvtt.read(sys.argv[1], strict=True).captions:
            voice = c.voice
            cues.append({
                "id": c.identifier, "start": c.start_time.in_milliseconds(), "end": c.end_time.in_milliseconds(),
                "text": html.unescape(c.text), "voice": html.unescape(voice.rstrip(" ")) if voice else None,
            })
        with open(sys.argv[2], "w") as out:
            json.dump(cues, out)
        """

    struct ReadCue: Decodable {
        var id: String?
        var start: Int64
        var end: Int64
        var text: String
        var voice: String?
    }

    @Test("every cue is found with its id, times, text and speaker")
    func hostileFile() async throws {
        let python = try #require(TestEnvironment.pythonWithWebVTT)
        var cues: [Cue] = []
        for (i, hostile) in HostileStrings.all.enumerated() {
            let t = Int64(i) * 1_000
            func cue(_ key: String, _ offset: Int64, _ text: String, _ speaker: String? = nil) -> Cue {
                Cue(key: key, kind: .captions, language: "en", startMs: t + offset, endMs: t + offset + 500, text: text, speaker: speaker, source: .live)
            }
            cues += [
                cue(hostile, 0, hostile), cue("speaker-\(i)", 1, "said", hostile), cue(hostile, 2, "<b>\(hostile)</b>\n\n\(hostile)-->", "\(hostile)--"),
            ]
        }
        cues += GeneratedCues.make(count: 300, seed: 42)
        let directory = try TemporaryDirectory.create("webvtt-py")
        defer { directory.remove() }
        let vtt = directory.path + "/cues.vtt", json = directory.path + "/cues.json", script = directory.path + "/read.py"
        try WebVTTWriter.document(cues, firstPTSSeconds: 1.4).write(toFile: vtt, atomically: true, encoding: .utf8)
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)

        let result = try await ProcessRunner.run(python, [script, vtt, json])
        #expect(result.status == 0, "\(result.stderr)")
        let read = try JSONDecoder().decode([ReadCue].self, from: Data(contentsOf: URL(fileURLWithPath: json)))

        let expected = GeneratedCues.expectedDocument(cues)
        let ours = try CaptionFileParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: vtt))), format: .webVTT)
        #expect(expected.count > 400)
        #expect(read.count == expected.count)
        #expect(ours.count == expected.count)
        for ((theirs, mine), (cue, want)) in zip(zip(read, ours), expected) {
            #expect(theirs.start == want.startMs && theirs.end == want.endMs, "\(cue.key.debugDescription)")
            #expect(theirs.text == want.text, "\(cue.key.debugDescription): \(cue.text.debugDescription)")
            #expect(theirs.voice == want.speaker, "\(cue.key.debugDescription): \(cue.speaker.debugDescription)")
            #expect(theirs.id == mine.id)
        }
    }
}
