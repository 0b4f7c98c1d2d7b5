import Foundation
import TapedeckCore
import TapedeckStore

/// `{kind, language, label, source, cue_count, url, cues_url}`: one cue track of a recording,
/// with signed links to it as WebVTT (`url`) and as JSON (`cues_url`, for the player's panel).
struct TextTrackRepresentation: JSONRepresentable {
    var track: CueTrack
    var url: String
    var cuesURL: String

    var label: String { LanguageTag(track.language)?.label ?? track.language }

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("kind", track.kind.rawValue)
            json.member("language", track.language)
            json.member("label", label)
            json.member("source", track.source.rawValue)
            json.member("cue_count", track.cueCount)
            json.member("url", url)
            json.member("cues_url", cuesURL)
        }
    }
}
