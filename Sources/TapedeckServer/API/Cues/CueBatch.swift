import Foundation
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `{"cues": [...]}`, the body of both cue routes.
struct CueBatch: Decodable {
    var cues: [CueInput]

    /// More than this in one request is refused: a batch is one transaction.
    static let maximumCount = 1000

    enum CodingKeys: String, CodingKey { case cues }

    init(from decoder: any Decoder) throws {
        try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
        cues = try decoder.container(keyedBy: CodingKeys.self).decode([CueInput].self, forKey: .cues)
    }

    /// The batch checked field by field, as cues to store; `source` for originals, and
    /// `translation` for cues that translate another.
    func validated(source: CueSource) throws -> [NewCue] {
        guard cues.count <= Self.maximumCount else {
            throw APIError.invalid("cues", "send at most \(Self.maximumCount) cues per request", code: "too_many_cues")
        }
        let valid: [CueInput.Validated]
        do {
            valid = try CueInput.validated(cues)
        } catch {
            throw APIError.invalid(error.field, error.message, code: error.code.rawValue)
        }
        var seen = Set<String>()
        for (index, cue) in valid.enumerated() {
            // Two cues with one key in a batch: which one wins would depend on order, so neither does.
            // Caption files' cues are replaced by the next file: a posted cue must not look like one.
            if cue.key.hasPrefix(CaptionFileImport.keyPrefix) {
                throw APIError.invalid(
                    "cues[\(index)].cue_key", "cues[\(index)].cue_key may not start with \(CaptionFileImport.keyPrefix) (caption files use it)",
                    code: "reserved_cue_key")
            }
            guard seen.insert("\(cue.kind.rawValue)\n\(cue.language.value)\n\(cue.key)").inserted else {
                throw APIError.invalid("cues[\(index)].cue_key", "cues[\(index)].cue_key repeats an earlier cue of this batch", code: "duplicate_cue_key")
            }
        }
        return valid.map { cue in
            let timing: NewCue.Timing =
                switch cue.times {
                case .media(let start, let end): .media(startMs: start, endMs: end)
                case .wallClock(let start, let end): .wallClock(startAt: start, endAt: end)
                }
            return NewCue(
                key: cue.key, kind: cue.kind, language: cue.language.value, timing: timing, text: cue.text, speaker: cue.speaker,
                speakerIdentity: cue.speakerIdentity, source: cue.translationOf == nil ? source : .translation,
                isFinal: cue.isFinal, translationOf: cue.translationOf)
        }
    }
}

/// `{"accepted": n, "recordings": [ids]}`
struct CueBatchResult: JSONRepresentable {
    var result: CueIngest.Result

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("accepted", result.accepted)
            json.member("recordings", result.recordingIDs.map { $0.uuidString.lowercased() })
        }
    }
}

/// A cue in the JSON API.
struct CueRepresentation: JSONRepresentable {
    var cue: Cue

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("cue_key", cue.key)
            json.member("kind", cue.kind.rawValue)
            json.member("language", cue.language)
            json.member("start_ms", cue.startMs)
            json.member("end_ms", cue.endMs)
            json.member("text", cue.text)
            json.member("speaker", cue.speaker)
            json.member("speaker_identity", cue.speakerIdentity)
            json.member("source", cue.source.rawValue)
            json.member("final", cue.isFinal)
            json.member("translation_of", cue.translationOf)
        }
    }
}
