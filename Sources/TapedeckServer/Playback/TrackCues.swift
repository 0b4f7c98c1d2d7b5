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
                for cue in cues {
                    json.object { json in
                        json.member("cue_key", cue.key)
                        json.member("start_ms", cue.startMs)
                        json.member("end_ms", cue.endMs)
                        json.member("text", cue.text)
                        json.member("speaker", cue.speaker)
                        json.member("translation_of", cue.translationOf)
                    }
                }
            }
        }
    }
}
