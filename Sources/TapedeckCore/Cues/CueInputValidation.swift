import Foundation

extension CueInput {
    /// A cue that passed every rule, with defaults applied and text in its stored form.
    public struct Validated: Sendable, Equatable {
        /// The times in the form they were sent.
        public enum Times: Sendable, Equatable {
            /// `start_ms`/`end_ms`: already on the recording's media timeline.
            case media(startMs: Int64, endMs: Int64)
            /// `start_at`/`end_at`: wall-clock epoch milliseconds, placed by ``CueTiming``.
            case wallClock(startMs: Int64, endMs: Int64)
        }

        public var key: String
        public var kind: CueKind
        public var language: LanguageTag
        public var times: Times
        /// As sent, with CR LF and lone CR turned into LF.
        public var text: String
        /// Trimmed; absent when empty.
        public var speaker: String?
        /// Absent when empty.
        public var speakerIdentity: String?
        public var isFinal: Bool
        public var translationOf: String?

        /// The cue on the media timeline of a recording whose first frame was at
        /// `mediaStartedAtMs` (used only for wall-clock times, with `offsetMs`).
        public func cue(source: CueSource, mediaStartedAtMs: Int64, offsetMs: Int64 = 0) -> Cue {
            let startMs: Int64, endMs: Int64
            switch times {
            case .media(let start, let end):
                (startMs, endMs) = (start, end)
            case .wallClock(let start, let end):
                startMs = CueTiming.mediaMs(wallClockMs: start, mediaStartedAtMs: mediaStartedAtMs, offsetMs: offsetMs)
                endMs = CueTiming.mediaMs(wallClockMs: end, mediaStartedAtMs: mediaStartedAtMs, offsetMs: offsetMs)
            }
            return Cue(
                key: key, kind: kind, language: language.value, startMs: startMs, endMs: endMs, text: text,
                speaker: speaker, speakerIdentity: speakerIdentity, source: source, isFinal: isFinal,
                translationOf: translationOf)
        }
    }

    public static let maximumKeyLength = 128
    public static let maximumTextLength = 2000
    public static let maximumSpeakerLength = 200
    public static let maximumSpeakerIdentityLength = ViewerToken.maximumIdentityLength
    /// Longer than any one utterance or card; keeps a mistyped end from covering a whole day.
    public static let maximumDurationMs: Int64 = 6 * 3_600_000
    /// 9999-12-31T23:59:59.999Z, the last instant RFC 3339 can write; also bounds media times so
    /// that no sum of two of them can overflow.
    public static let maximumTimeMs: Int64 = 253_402_300_799_999

    /// The cue with every rule applied, or the first rule it breaks. Lengths count Unicode
    /// scalars, as the other request fields do; "control characters" are C0, DEL and C1.
    public func validated() throws(CueInputError) -> Validated {
        let key = try Self.identifier(cueKey, field: "cue_key")
        let language = try Self.language(self.language)
        let translationOf = try self.translationOf.map { key throws(CueInputError) in
            try Self.identifier(key, field: "translation_of")
        }
        let kind = try Self.kind(self.kind, isTranslation: translationOf != nil)
        let times = try Self.times(self)
        let text = try Self.text(self.text)
        let speaker = try Self.optionalName(self.speaker, field: "speaker", limit: Self.maximumSpeakerLength, trimming: true)
        let identity = try Self.optionalName(
            speakerIdentity, field: "speaker_identity", limit: Self.maximumSpeakerIdentityLength, trimming: false)
        return Validated(
            key: key, kind: kind, language: language, times: times, text: text, speaker: speaker,
            speakerIdentity: identity, isFinal: isFinal ?? true, translationOf: translationOf)
    }

    /// Every cue of a list, or the first error, its field within the list (`cues[3].text`).
    public static func validated(_ inputs: [CueInput], path: String = "cues") throws(CueInputError) -> [Validated] {
        var out: [Validated] = []
        out.reserveCapacity(inputs.count)
        for (index, input) in inputs.enumerated() {
            do {
                out.append(try input.validated())
            } catch {
                throw error.within("\(path)[\(index)]")
            }
        }
        return out
    }

    private static func identifier(_ value: String?, field: String) throws(CueInputError) -> String {
        guard let value else { throw CueInputError(field: field, code: .missingField, problem: "is required") }
        guard !value.isEmpty else { throw CueInputError(field: field, code: .invalidField, problem: "must not be empty") }
        if ProviderText.hasControlCharacters(value) {
            throw CueInputError(field: field, code: .controlCharacters, problem: "must not contain control characters")
        }
        guard value.unicodeScalars.count <= maximumKeyLength else {
            throw CueInputError(field: field, code: .tooLong, problem: "must be at most \(maximumKeyLength) characters")
        }
        return value
    }

    private static func language(_ value: String?) throws(CueInputError) -> LanguageTag {
        guard let value else { throw CueInputError(field: "language", code: .missingField, problem: "is required") }
        guard let tag = LanguageTag(value) else {
            throw CueInputError(
                field: "language", code: .invalidLanguage,
                problem: "must be a BCP 47 language tag of at most \(LanguageTag.maximumLength) characters, such as en, es or pt-BR")
        }
        return tag
    }

    private static func kind(_ value: String?, isTranslation: Bool) throws(CueInputError) -> CueKind {
        guard let value else { return isTranslation ? .subtitles : .captions }
        guard let kind = CueKind(rawValue: value) else {
            let names = CueKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw CueInputError(field: "kind", code: .invalidField, problem: "must be one of \(names)")
        }
        return kind
    }

    private static func times(_ input: CueInput) throws(CueInputError) -> Validated.Times {
        if input.startAt != nil, input.startMs != nil {
            throw CueInputError(field: "start_ms", code: .conflictingFields, problem: "cannot be sent with start_at: send one of them")
        }
        if input.endAt != nil, input.endMs != nil {
            throw CueInputError(field: "end_ms", code: .conflictingFields, problem: "cannot be sent with end_at: send one of them")
        }
        let times: Validated.Times
        if let startAt = input.startAt {
            guard let endAt = input.endAt else {
                throw missingEnd(after: "start_at", expected: "end_at", sentInstead: input.endMs.map { _ in "end_ms" })
            }
            times = .wallClock(startMs: try instant(startAt, field: "start_at"), endMs: try instant(endAt, field: "end_at"))
        } else if let startMs = input.startMs {
            guard let endMs = input.endMs else {
                throw missingEnd(after: "start_ms", expected: "end_ms", sentInstead: input.endAt.map { _ in "end_at" })
            }
            times = .media(startMs: try milliseconds(startMs, field: "start_ms"), endMs: try milliseconds(endMs, field: "end_ms"))
        } else {
            throw CueInputError(
                field: "start_at", code: .missingField,
                problem: "is required: send start_at and end_at (times) or start_ms and end_ms (media milliseconds)")
        }
        let (start, end, endField) =
            switch times {
            case .media(let s, let e): (s, e, "end_ms")
            case .wallClock(let s, let e): (s, e, "end_at")
            }
        guard end >= start else { throw CueInputError(field: endField, code: .invalidTime, problem: "must not be before the start") }
        guard end - start <= maximumDurationMs else {
            throw CueInputError(field: endField, code: .invalidTime, problem: "must be at most 6 hours after the start")
        }
        return times
    }

    /// An end in the other form than the start (`start_at` with `end_ms`), or none at all.
    private static func missingEnd(after start: String, expected end: String, sentInstead other: String?) -> CueInputError {
        guard let other else { return CueInputError(field: end, code: .missingField, problem: "is required with \(start)") }
        return CueInputError(field: other, code: .conflictingFields, problem: "cannot end a cue that starts at \(start): send \(end)")
    }

    private static func instant(_ value: Instant, field: String) throws(CueInputError) -> Int64 {
        switch value {
        case .epochMs(let ms):
            return try milliseconds(ms, field: field)
        case .rfc3339(let text):
            guard let ms = CueTiming.epochMs(rfc3339: text) else {
                throw CueInputError(
                    field: field, code: .invalidTime,
                    problem: "must be an RFC 3339 time such as 2026-11-22T09:30:00.125Z, or epoch milliseconds")
            }
            return try milliseconds(ms, field: field)
        }
    }

    private static func milliseconds(_ ms: Int64, field: String) throws(CueInputError) -> Int64 {
        guard ms >= 0 else { throw CueInputError(field: field, code: .invalidTime, problem: "must not be negative") }
        guard ms <= maximumTimeMs else {
            throw CueInputError(field: field, code: .invalidTime, problem: "must be at most \(maximumTimeMs)")
        }
        return ms
    }

    private static func text(_ value: String?) throws(CueInputError) -> String {
        guard let value else { throw CueInputError(field: "text", code: .missingField, problem: "is required") }
        let text = lineFeedsOnly(value)
        if text.unicodeScalars.contains(where: { ProviderText.isControl($0) && $0 != "\n" && $0 != "\t" }) {
            throw CueInputError(
                field: "text", code: .controlCharacters, problem: "must not contain control characters other than line feed and tab")
        }
        guard !CueText.isBlank(text) else {
            throw CueInputError(field: "text", code: .invalidField, problem: "must not be empty or only spaces, tabs and line breaks")
        }
        guard text.unicodeScalars.count <= maximumTextLength else {
            throw CueInputError(field: "text", code: .tooLong, problem: "must be at most \(maximumTextLength) characters")
        }
        return text
    }

    private static func optionalName(_ value: String?, field: String, limit: Int, trimming: Bool) throws(CueInputError) -> String? {
        guard let value else { return nil }
        if ProviderText.hasControlCharacters(value) {
            throw CueInputError(field: field, code: .controlCharacters, problem: "must not contain control characters")
        }
        let name = trimming ? value.trimmingCharacters(in: .whitespaces) : value
        guard !name.isEmpty else { return nil }
        guard name.unicodeScalars.count <= limit else {
            throw CueInputError(field: field, code: .tooLong, problem: "must be at most \(limit) characters")
        }
        return name
    }

    /// CR LF and lone CR become LF: one line break, whichever system typed it.
    static func lineFeedsOnly(_ text: String) -> String {
        guard text.unicodeScalars.contains("\r") else { return text }
        var out = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\r" {
                out.append("\n")
                previousWasCR = true
            } else {
                if !(scalar == "\n" && previousWasCR) { out.append(scalar) }
                previousWasCR = false
            }
        }
        return String(out)
    }
}
