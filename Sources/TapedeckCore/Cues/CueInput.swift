import Foundation

/// One cue as a client posts it, decoded from JSON but not yet checked:
///
/// ```json
/// {"cue_key": "utt-17", "kind": "captions", "language": "en",
///  "start_at": "2026-11-22T09:30:01.250Z", "end_at": 1795339803000,
///  "text": "Hello", "speaker": "Ada", "speaker_identity": "ada@example.com",
///  "final": true, "translation_of": null}
/// ```
///
/// Decoding only checks JSON types (and refuses unknown fields, as every request body does);
/// ``validated()`` applies the rules and names the field that breaks one. Every field is
/// optional here so that a missing one is reported by the rules, with their code, rather than
/// by the decoder.
public struct CueInput: Decodable, Sendable, Equatable {
    /// A wall-clock instant as sent: an RFC 3339 string or a whole number of epoch milliseconds.
    public enum Instant: Sendable, Equatable {
        case rfc3339(String)
        case epochMs(Int64)
    }

    public var cueKey: String?
    public var kind: String?
    public var language: String?
    /// Wall-clock start; exclusive with ``startMs``.
    public var startAt: Instant?
    /// Start on the recording's media timeline; exclusive with ``startAt``.
    public var startMs: Int64?
    public var endAt: Instant?
    public var endMs: Int64?
    public var text: String?
    public var speaker: String?
    public var speakerIdentity: String?
    public var isFinal: Bool?
    public var translationOf: String?

    public init(
        cueKey: String? = nil, kind: String? = nil, language: String? = nil, startAt: Instant? = nil,
        startMs: Int64? = nil, endAt: Instant? = nil, endMs: Int64? = nil, text: String? = nil,
        speaker: String? = nil, speakerIdentity: String? = nil, isFinal: Bool? = nil, translationOf: String? = nil
    ) {
        self.cueKey = cueKey
        self.kind = kind
        self.language = language
        self.startAt = startAt
        self.startMs = startMs
        self.endAt = endAt
        self.endMs = endMs
        self.text = text
        self.speaker = speaker
        self.speakerIdentity = speakerIdentity
        self.isFinal = isFinal
        self.translationOf = translationOf
    }

    enum CodingKeys: String, CodingKey {
        case cueKey = "cue_key", kind, language, startAt = "start_at", startMs = "start_ms", endAt = "end_at"
        case endMs = "end_ms", text, speaker, speakerIdentity = "speaker_identity", isFinal = "final"
        case translationOf = "translation_of"
    }

    public init(from decoder: any Decoder) throws {
        try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cueKey = try c.decodeIfPresent(String.self, forKey: .cueKey)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        language = try c.decodeIfPresent(String.self, forKey: .language)
        startAt = try Self.instant(c, .startAt)
        startMs = try c.decodeIfPresent(Int64.self, forKey: .startMs)
        endAt = try Self.instant(c, .endAt)
        endMs = try c.decodeIfPresent(Int64.self, forKey: .endMs)
        text = try c.decodeIfPresent(String.self, forKey: .text)
        speaker = try c.decodeIfPresent(String.self, forKey: .speaker)
        speakerIdentity = try c.decodeIfPresent(String.self, forKey: .speakerIdentity)
        isFinal = try c.decodeIfPresent(Bool.self, forKey: .isFinal)
        translationOf = try c.decodeIfPresent(String.self, forKey: .translationOf)
    }

    private static func instant(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> Instant? {
        guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
        if let text = try? c.decode(String.self, forKey: key) { return .rfc3339(text) }
        if let ms = try? c.decode(Int64.self, forKey: key) { return .epochMs(ms) }
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: c.codingPath + [key],
                debugDescription: "must be an RFC 3339 time (a string) or epoch milliseconds (a whole number)"))
    }
}
