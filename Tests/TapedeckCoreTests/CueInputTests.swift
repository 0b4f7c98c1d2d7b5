import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("Cue input")
struct CueInputTests {
    static func decode(_ json: String) throws -> CueInput {
        try JSONDecoder().decode(CueInput.self, from: Data(json.utf8))
    }

    static func valid(
        key: String? = "utt-1", language: String? = "en", text: String? = "Hello", speaker: String? = nil
    ) -> CueInput {
        CueInput(cueKey: key, language: language, startMs: 1_000, endMs: 2_000, text: text, speaker: speaker)
    }

    static func error(_ input: CueInput) -> CueInputError? {
        do {
            _ = try input.validated()
            return nil
        } catch {
            return error
        }
    }

    @Test("a posted cue decodes from JSON and validates, with defaults applied")
    func decodesAndValidates() throws {
        let input = try Self.decode(
            """
            {"cue_key": "utt-17", "language": "pt-br", "start_at": "2026-11-22T09:30:01.250Z",
             "end_at": 1795339803000, "text": "Olá\\r\\nmundo", "speaker": "  Ada  ", "speaker_identity": "ada@example.com"}
            """)
        let cue = try input.validated()
        #expect(cue.key == "utt-17")
        #expect(cue.kind == .captions)
        #expect(cue.language.value == "pt-BR")
        #expect(cue.times == .wallClock(startMs: 1_795_339_801_250, endMs: 1_795_339_803_000))
        #expect(cue.text == "Olá\nmundo")
        #expect(cue.speaker == "Ada")
        #expect(cue.speakerIdentity == "ada@example.com")
        #expect(cue.isFinal)
        #expect(cue.translationOf == nil)

        let placed = cue.cue(source: .live, mediaStartedAtMs: 1_795_339_800_000, offsetMs: 100)
        #expect(placed.startMs == 1_350 && placed.endMs == 3_100)
        #expect(placed.language == "pt-BR" && placed.source == .live && placed.key == "utt-17")
    }

    @Test("a translation defaults to subtitles; an explicit kind and final are kept")
    func translationDefaults() throws {
        let translation = try Self.decode(
            #"{"cue_key": "utt-1-es", "language": "es", "start_ms": 0, "end_ms": 10, "text": "Hola", "translation_of": "utt-1", "final": false}"#
        ).validated()
        #expect(translation.kind == .subtitles)
        #expect(translation.translationOf == "utt-1")
        #expect(!translation.isFinal)
        #expect(translation.times == .media(startMs: 0, endMs: 10))
        // Media times are used as they are: neither the media start nor the offset applies.
        let placed = translation.cue(source: .translation, mediaStartedAtMs: 99_999, offsetMs: 500)
        #expect(placed.startMs == 0 && placed.endMs == 10 && !placed.isFinal)

        let chapters = try Self.decode(
            #"{"cue_key": "c1", "kind": "chapters", "language": "en", "start_ms": 0, "end_ms": 10, "text": "Intro", "translation_of": "x"}"#
        ).validated()
        #expect(chapters.kind == .chapters)
    }

    @Test("unknown fields and wrong JSON types are refused by decoding, naming the field")
    func decodingErrors() {
        #expect(throws: DecodingError.self) { try Self.decode(#"{"cue_key": "a", "colour": "red"}"#) }
        #expect(throws: DecodingError.self) { try Self.decode(#"{"start_ms": 1.5}"#) }
        #expect(throws: DecodingError.self) { try Self.decode(#"{"text": 5}"#) }
        do {
            _ = try Self.decode(#"{"start_at": true}"#)
            Issue.record("a boolean start_at decoded")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.codingPath.map(\.stringValue) == ["start_at"])
        } catch {
            Issue.record("unexpected \(error)")
        }
        // null is the same as absent.
        #expect((try? Self.decode(#"{"speaker": null, "start_at": null}"#))?.startAt == nil)
        #expect((try? Self.decode(#"{"start_at": 12}"#))?.startAt == .epochMs(12))
    }

    @Test(
        "each rule names its field and code",
        arguments: [
            (CueInput(language: "en", startMs: 0, endMs: 1, text: "a"), "cue_key", CueInputError.Code.missingField),
            (CueInputTests.valid(key: ""), "cue_key", .invalidField),
            (CueInputTests.valid(key: "a\tb"), "cue_key", .controlCharacters),
            (CueInputTests.valid(key: String(repeating: "k", count: 129)), "cue_key", .tooLong),
            (CueInputTests.valid(language: nil), "language", .missingField),
            (CueInputTests.valid(language: "en_US"), "language", .invalidLanguage),
            (CueInputTests.valid(text: nil), "text", .missingField),
            (CueInputTests.valid(text: " \n\t "), "text", .invalidField),
            (CueInputTests.valid(text: "a\u{0}b"), "text", .controlCharacters),
            (CueInputTests.valid(text: "a\u{85}b"), "text", .controlCharacters),
            (CueInputTests.valid(text: String(repeating: "t", count: 2001)), "text", .tooLong),
            (CueInputTests.valid(speaker: "Ada\nLovelace"), "speaker", .controlCharacters),
            (CueInputTests.valid(speaker: String(repeating: "s", count: 201)), "speaker", .tooLong),
            (CueInput(cueKey: "k", kind: "captions ", language: "en", startMs: 0, endMs: 1, text: "a"), "kind", .invalidField),
            (CueInput(cueKey: "k", language: "en", startMs: 0, endMs: 1, text: "a", translationOf: ""), "translation_of", .invalidField),
            (CueInput(cueKey: "k", language: "en", startMs: 0, endMs: 1, text: "a", speakerIdentity: "\u{7F}"), "speaker_identity", .controlCharacters),
            (CueInput(cueKey: "k", language: "en", text: "a"), "start_at", .missingField),
            (CueInput(cueKey: "k", language: "en", startAt: .epochMs(0), startMs: 0, endMs: 1, text: "a"), "start_ms", .conflictingFields),
            (CueInput(cueKey: "k", language: "en", startMs: 0, endAt: .epochMs(1), endMs: 1, text: "a"), "end_ms", .conflictingFields),
            (CueInput(cueKey: "k", language: "en", startAt: .epochMs(0), endMs: 1, text: "a"), "end_ms", .conflictingFields),
            (CueInput(cueKey: "k", language: "en", startMs: 0, endAt: .epochMs(1), text: "a"), "end_at", .conflictingFields),
            (CueInput(cueKey: "k", language: "en", startAt: .epochMs(0), text: "a"), "end_at", .missingField),
            (CueInput(cueKey: "k", language: "en", startMs: 0, text: "a"), "end_ms", .missingField),
            (CueInput(cueKey: "k", language: "en", startMs: -1, endMs: 1, text: "a"), "start_ms", .invalidTime),
            (CueInput(cueKey: "k", language: "en", startMs: 5, endMs: 4, text: "a"), "end_ms", .invalidTime),
            (CueInput(cueKey: "k", language: "en", startMs: 0, endMs: 21_600_001, text: "a"), "end_ms", .invalidTime),
            (CueInput(cueKey: "k", language: "en", startMs: .max - 1, endMs: .max, text: "a"), "start_ms", .invalidTime),
            (CueInput(cueKey: "k", language: "en", startAt: .rfc3339("yesterday"), endAt: .epochMs(1), text: "a"), "start_at", .invalidTime),
            (CueInput(cueKey: "k", language: "en", startAt: .epochMs(0), endAt: .rfc3339("2026-11-22"), text: "a"), "end_at", .invalidTime),
            (CueInput(cueKey: "k", language: "en", startAt: .epochMs(-5), endAt: .epochMs(1), text: "a"), "start_at", .invalidTime),
            (
                CueInput(cueKey: "k", language: "en", startAt: .rfc3339("2026-11-22T09:30:00Z"), endAt: .rfc3339("2026-11-22T15:30:00.001Z"), text: "a"),
                "end_at", .invalidTime
            ),
        ])
    func rules(_ input: CueInput, _ field: String, _ code: CueInputError.Code) throws {
        let error = try #require(Self.error(input))
        #expect(error.field == field)
        #expect(error.code == code)
        #expect(error.message.hasPrefix(field + " "))
    }

    @Test("limits are inclusive: 128-character keys, 2000-character text, 6-hour cues, zero-length cues")
    func limits() throws {
        let input = CueInput(
            cueKey: String(repeating: "k", count: 128), language: "en", startMs: 0, endMs: 21_600_000,
            text: String(repeating: "😀", count: 2000), speaker: String(repeating: "s", count: 200),
            speakerIdentity: String(repeating: "i", count: 256))
        #expect(Self.error(input) == nil)
        #expect(Self.error(CueInput(cueKey: "k", language: "en", startMs: 7, endMs: 7, text: "a")) == nil)
        #expect(
            Self.error(
                CueInput(cueKey: "k", language: "en", startMs: 0, endMs: 1, text: "a", speakerIdentity: String(repeating: "i", count: 257))
            )?.code == .tooLong)
    }

    @Test("in a list the field names the cue: cues[3].language")
    func listPaths() {
        var inputs = (0..<5).map { Self.valid(key: "k\($0)") }
        #expect((try? CueInput.validated(inputs))?.count == 5)
        inputs[3].language = "en_GB"
        do {
            _ = try CueInput.validated(inputs)
            Issue.record("an invalid language passed")
        } catch {
            #expect(error.field == "cues[3].language")
            #expect(error.code == .invalidLanguage)
            #expect(error.message.hasPrefix("cues[3].language must be"))
            #expect(error.description.hasPrefix("invalid_language: cues[3].language"))
        }
        #expect(throws: CueInputError(field: "items[0].cue_key", code: .missingField, problem: "is required")) {
            try CueInput.validated([Self.valid(key: nil)], path: "items")
        }
    }

    /// What the rules say about a hostile string as each field, worked out here without the code
    /// under test: the expected outcome first, then the validator must agree.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    @Test("every hostile string as text is kept (line ends normalised) or refused for a stated reason")
    func hostileText() throws {
        for hostile in HostileStrings.all {
            let lf = hostile.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            let outcome = Self.error(Self.valid(text: hostile))
            if lf.unicodeScalars.contains(where: { Self.isControl($0) && $0 != "\n" && $0 != "\t" }) {
                #expect(outcome?.code == .controlCharacters, "\(hostile.debugDescription)")
            } else if lf.unicodeScalars.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) {
                #expect(outcome?.code == .invalidField, "\(hostile.debugDescription)")
            } else if lf.unicodeScalars.count > 2000 {
                #expect(outcome?.code == .tooLong, "\(hostile.debugDescription)")
            } else {
                #expect(outcome == nil, "\(hostile.debugDescription)")
                #expect(try Self.valid(text: hostile).validated().text == lf)
            }
        }
    }

    @Test("every hostile string as key, speaker, identity and translation link")
    func hostileNames() throws {
        for hostile in HostileStrings.all {
            let hasControl = hostile.unicodeScalars.contains(where: Self.isControl)
            let length = hostile.unicodeScalars.count

            let key = Self.error(Self.valid(key: hostile))
            if hasControl {
                #expect(key?.code == .controlCharacters, "\(hostile.debugDescription)")
            } else if hostile.isEmpty {
                #expect(key?.code == .invalidField)
            } else if length > 128 {
                #expect(key?.code == .tooLong, "\(hostile.debugDescription)")
            } else {
                #expect(try Self.valid(key: hostile).validated().key == hostile)
                var translation = Self.valid()
                translation.translationOf = hostile
                #expect(try translation.validated().translationOf == hostile)
            }

            let trimmed = hostile.trimmingCharacters(in: .whitespaces)
            let speaker = Self.error(Self.valid(speaker: hostile))
            if hasControl {
                #expect(speaker?.code == .controlCharacters, "\(hostile.debugDescription)")
            } else if trimmed.unicodeScalars.count > 200 {
                #expect(speaker?.code == .tooLong, "\(hostile.debugDescription)")
            } else {
                #expect(try Self.valid(speaker: hostile).validated().speaker == (trimmed.isEmpty ? nil : trimmed))
            }

            var identity = Self.valid()
            identity.speakerIdentity = hostile
            if hasControl {
                #expect(Self.error(identity)?.code == .controlCharacters)
            } else if length > 256 {
                #expect(Self.error(identity)?.code == .tooLong)
            } else {
                #expect(try identity.validated().speakerIdentity == (hostile.isEmpty ? nil : hostile))
            }

            // As a language, anything accepted is a well-formed tag; nothing crashes.
            if let error = Self.error(Self.valid(language: hostile)) {
                #expect(error.code == .invalidLanguage && error.field == "language")
            } else {
                #expect(LanguageTag(hostile) != nil)
            }
        }
    }

    @Test("every hostile string as a time is refused as invalid_time")
    func hostileTimes() {
        for hostile in HostileStrings.all {
            let input = CueInput(cueKey: "k", language: "en", startAt: .rfc3339(hostile), endAt: .epochMs(1), text: "a")
            #expect(Self.error(input)?.code == .invalidTime)
        }
    }
}
