import TapedeckCore

/// `{"cues": [{cue_key, start_ms, end_ms, text, speaker, translation_of}]}`: one track's final
/// cues for the player's panel. Whoever holds the track's link may read its cues, as they may
/// read its WebVTT; the speaker's participant identity is left out, as WebVTT leaves it out.
struct TrackCues: JSONRepresentable {
    var cues: [Cue]

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.key("cues")
            json.array { json in
                for cue in cues { Self.write(cue, to: &json) }
            }
        }
    }

    static func write(_ cue: Cue, to json: inout JSONWriter) {
        json.object { json in
            json.member("cue_key", cue.key)
            json.member("start_ms", cue.startMs)
            json.member("end_ms", cue.endMs)
            json.member("text", cue.text)
            json.member("speaker", cue.speaker)
            json.member("translation_of", cue.translationOf)
        }
    }

    /// The same document a page of cues at a time, for a track streamed as it is read.
    struct Stream: TrackEncoder {
        private var started = false
        private var wroteCue = false

        mutating func append(_ cues: [Cue]) -> [UInt8] {
            var bytes: [UInt8] = started ? [] : Array(#"{"cues":["#.utf8)
            started = true
            // Top-level values of one writer are comma-separated: the page's cues.
            var json = JSONWriter(capacity: 64 * 1024)
            for cue in cues { TrackCues.write(cue, to: &json) }
            if !json.bytes.isEmpty {
                if wroteCue { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: json.bytes)
                wroteCue = true
            }
            return bytes
        }

        mutating func finish() -> [UInt8] {
            var bytes: [UInt8] = started ? [] : Array(#"{"cues":["#.utf8)
            started = true
            bytes.append(contentsOf: "]}".utf8)
            return bytes
        }
    }
}
