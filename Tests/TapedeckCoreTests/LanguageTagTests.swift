import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("Language tags")
struct LanguageTagTests {
    @Test(
        "well-formed tags come back in canonical case",
        arguments: [
            ("en", "en"), ("EN", "en"), ("en-us", "en-US"), ("pt-br", "pt-BR"), ("zh-hant-tw", "zh-Hant-TW"),
            ("ZH-HANS", "zh-Hans"), ("es-419", "es-419"), ("sr-latn-rs", "sr-Latn-RS"), ("de-ch-1996", "de-CH-1996"),
            ("sl-rozaj-biske", "sl-rozaj-biske"), ("de-1901", "de-1901"), ("yue", "yue"), ("zh-yue-HK", "zh-yue-HK"),
            ("zh-min-nan", "zh-min-nan"), ("art-lojban", "art-lojban"), ("en-a-bbb-x-a-ccc", "en-a-bbb-x-a-ccc"),
            ("ja-JP-u-ca-JAPANESE", "ja-JP-u-ca-japanese"), ("en-US-x-TWAIN", "en-US-x-twain"), ("x-klingon", "x-klingon"),
            ("X-Private-TAG", "x-private-tag"), ("english-language", "english-language"), ("qaa", "qaa"), ("hawaiian", "hawaiian"), ("und", "und"),
            ("en-u-ab-cd-ef", "en-u-ab-cd-ef"), ("sgn-ase", "sgn-ase"), ("abc-def-ghi-jkl", "abc-def-ghi-jkl"),
        ])
    func canonical(_ input: String, _ expected: String) throws {
        let tag = try #require(LanguageTag(input))
        #expect(tag.value == expected)
        #expect(tag.description == expected)
        // Canonical form is a fixed point.
        #expect(LanguageTag(expected)?.value == expected)
    }

    @Test(
        "malformed tags, irregular grandfathered tags and over-long tags are refused",
        arguments: [
            "", "e", "english_language", "abcd", "en_US", "en-", "-en", "en--US", "en-US-", "en US", " en", "en ",
            "123", "en-a", "en-a-b", "en-x", "x", "x-", "en-US-Latn", "en-abcd-efgh", "abc-def-ghi-jkl-mno",
            "en-GB-oed", "i-klingon", "i-ami", "sgn-BE-FR", "no-bok-x", "de-1996-1996", "en-a-bbb-a-ccc",
            "en-123456789", "en-x-123456789", "é", "en-ÜS", "en\u{0}", "en\nUS", "zh-Hant-TW-x-aaaaaaaa-bbbbbbbb-cccccc",
            "hawaiiann", "en-US-abcd",
        ])
    func refused(_ input: String) {
        #expect(LanguageTag(input) == nil)
    }

    @Test("at most 35 characters")
    func length() {
        let longest = "zh-Hant-TW-x-" + String(repeating: "abcdefgh-", count: 2) + "abcd"
        #expect(longest.count == 35)
        #expect(LanguageTag(longest)?.value == longest)
        #expect(LanguageTag(longest + "g") == nil)
    }

    @Test("the primary language subtag")
    func primary() {
        #expect(LanguageTag("pt-BR")?.primaryLanguage == "pt")
        #expect(LanguageTag("ZH-yue")?.primaryLanguage == "zh")
        #expect(LanguageTag("x-klingon")?.primaryLanguage == "x")
    }

    @Test(
        "labels come from the locale data, in English",
        arguments: [
            ("en", "English"), ("es", "Spanish"), ("pt-BR", "Portuguese (Brazil)"), ("fr-CA", "French (Canada)"),
            ("de", "German"), ("ja", "Japanese"), ("es-419", "Spanish (Latin America)"),
            ("ja-JP-u-ca-japanese", "Japanese (Japan)"), ("en-US-x-twain", "English (United States)"),
        ])
    func labels(_ tag: String, _ label: String) {
        #expect(LanguageTag(tag)?.label == label)
    }

    @Test("a label falls back to the language name, then to the tag")
    func labelFallbacks() {
        #expect(LanguageTag("en-Qaaa")?.label == "English (Qaaa)")
        #expect(LanguageTag("zz")?.label == "zz")
        #expect(LanguageTag("x-klingon")?.label == "x-klingon")
        #expect(LanguageTag("qaa-BR")?.label == "qaa-BR")
    }

    @Test("hostile strings are refused or come back as ASCII tags of at most 35 characters")
    func hostile() {
        for text in HostileStrings.all {
            guard let tag = LanguageTag(text) else { continue }
            #expect(tag.value.utf8.allSatisfy { $0 < 128 } && tag.value.count <= 35, "\(text)")
            #expect(tag.value.lowercased() == text.lowercased(), "\(text)")
            #expect(!tag.label.isEmpty)
        }
        // Some of the corpus are well-formed tags by accident; they must still pass.
        #expect(LanguageTag("con")?.value == "con")
        #expect(LanguageTag("NUL")?.value == "nul")
    }
}
