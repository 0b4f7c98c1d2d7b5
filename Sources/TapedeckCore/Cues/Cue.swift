import Foundation

/// What a timed text cue is for; WebVTT and HLS name the same kinds.
public enum CueKind: String, Sendable, CaseIterable, Codable {
    /// The words spoken, in the language spoken.
    case captions
    /// A translation of captions into another language.
    case subtitles
    case chapters
    case metadata
}

/// Where a cue came from.
public enum CueSource: String, Sendable, CaseIterable, Codable {
    /// Posted during the session (a transcription agent, a translation panel).
    case live
    /// A caption file uploaded or imported after the fact.
    case upload
    /// Copied in from the provider (100ms transcripts).
    case provider
    /// A machine or human translation of another cue.
    case translation
}

/// One cue of a recording, on the recording's own media timeline.
public struct Cue: Sendable, Equatable {
    /// The client's idempotency key, unique per (recording, kind, language).
    public var key: String
    public var kind: CueKind
    /// A BCP 47 tag, as validated by `LanguageTag`.
    public var language: String
    public var startMs: Int64
    public var endMs: Int64
    public var text: String
    /// The speaker's display name.
    public var speaker: String?
    /// The speaker's participant identity.
    public var speakerIdentity: String?
    public var source: CueSource
    /// Interim cues are replaced by later posts with the same key; only final ones are exported.
    public var isFinal: Bool
    /// The key of the cue this one translates.
    public var translationOf: String?

    public init(
        key: String, kind: CueKind, language: String, startMs: Int64, endMs: Int64, text: String,
        speaker: String? = nil, speakerIdentity: String? = nil, source: CueSource, isFinal: Bool = true,
        translationOf: String? = nil
    ) {
        self.key = key
        self.kind = kind
        self.language = language
        self.startMs = startMs
        self.endMs = endMs
        self.text = text
        self.speaker = speaker
        self.speakerIdentity = speakerIdentity
        self.source = source
        self.isFinal = isFinal
        self.translationOf = translationOf
    }
}
