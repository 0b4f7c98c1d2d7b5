import Foundation
import Testing
import TapedeckCore
@testable import TapedeckServer
import TestSupport

@Suite("The JSON form of a cue track, for the player's panel")
struct TrackCuesTests {
    @Test("keys, times, text, speaker and the translated cue's key; no participant identity")
    func shape() throws {
        // setup
        let cues = [
            Cue(key: "u1-es", kind: .subtitles, language: "es", startMs: 1200, endMs: 2500, text: "línea \"1\"\n<b>",
                speaker: "Ada", speakerIdentity: "ada@example.com", source: .translation, translationOf: "u1"),
            Cue(key: "u2-es", kind: .subtitles, language: "es", startMs: 3000, endMs: 3500, text: "dos", source: .live),
        ]
        // action
        var json = JSONWriter()
        TrackCues(cues: cues).write(to: &json)
        // check
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        let items = try #require(object["cues"] as? [[String: Any]])
        #expect(items.count == 2)
        #expect(Set(items[0].keys) == ["cue_key", "start_ms", "end_ms", "text", "speaker", "translation_of"])
        #expect(items[0]["cue_key"] as? String == "u1-es")
        #expect(items[0]["start_ms"] as? Int == 1200 && items[0]["end_ms"] as? Int == 2500)
        #expect(items[0]["text"] as? String == "línea \"1\"\n<b>")
        #expect(items[0]["speaker"] as? String == "Ada")
        #expect(items[0]["translation_of"] as? String == "u1")
        #expect(items[1]["speaker"] is NSNull && items[1]["translation_of"] is NSNull)
        #expect(!String(decoding: json.bytes, as: UTF8.self).contains("ada@example.com"))
    }
}

@Suite("The JSON form of a cue track, a page at a time")
struct TrackCuesStreamTests {
    @Test("pages of any sizes, empty ones included, join into the document written whole")
    func pagesJoin() {
        var random = SeededRandom(seed: 15)
        for _ in 0..<50 {
            let count = Int.random(in: 0...40, using: &random)
            let cues = (0..<count).map { i in
                Cue(key: "k\(i)", kind: .captions, language: "en", startMs: Int64(i) * 10, endMs: Int64(i) * 10 + 5,
                    text: "t\"\(i)\"", speaker: i % 2 == 0 ? "A" : nil, source: .live)
            }
            var stream = TrackCues.Stream()
            var bytes: [UInt8] = []
            var rest = cues[...]
            while !rest.isEmpty || Bool.random(using: &random) {
                let size = Int.random(in: 0...7, using: &random)
                bytes += stream.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            bytes += stream.finish()
            var whole = JSONWriter()
            TrackCues(cues: cues).write(to: &whole)
            #expect(bytes == whole.bytes)
        }
    }
}
