import Foundation

/// A well-formed BCP 47 language tag (RFC 5646 §2.1 syntax), kept in its canonical case.
///
/// Accepted: `language` (2–3 letters with up to three 3-letter extlangs, or 5–8 letters),
/// `-script` (4 letters), `-region` (2 letters or 3 digits), `-variant`s (5–8 alphanumerics, or a
/// digit and 3 alphanumerics), `-extension`s (a singleton other than `x` and subtags of 2–8
/// alphanumerics) and a final private-use part (`x-` and subtags of 1–8); a tag may also be
/// private use alone (`x-klingon`). At most 35 characters, ASCII letters, digits and `-` only.
///
/// Refused: 4-letter languages (reserved by RFC 5646), `_` as a separator, repeated variants or
/// extension singletons (RFC 5646 calls such tags invalid), and the irregular grandfathered tags
/// (`i-klingon`, `en-GB-oed`, `sgn-BE-FR`, ...): none follows the syntax, each has a modern
/// replacement, and accepting them would need a table kept in step with the registry. The
/// regular grandfathered tags (`zh-min-nan`, `art-lojban`) happen to be well-formed and pass.
/// Whether a subtag is registered is not checked: `qaa` and `zz` pass, as the syntax allows.
public struct LanguageTag: Sendable, Hashable, CustomStringConvertible {
    /// The tag in canonical case: language lower, script title, region upper, the rest lower
    /// (`zh-Hant-TW`, `pt-BR`, `de-CH-1996`, `en-x-mytag`).
    public let value: String
    /// The primary language subtag (`pt` of `pt-BR`); `x` for a private-use-only tag.
    public let primaryLanguage: String

    public static let maximumLength = 35

    /// The tag, or `nil` when `text` is not a well-formed tag by the rules above.
    public init?(_ text: String) {
        guard let parsed = Self.parse(text) else { return nil }
        value = parsed.subtags.joined(separator: "-")
        primaryLanguage = parsed.subtags[0]
        core = parsed.coreCount
    }

    public var description: String { value }

    /// The number of leading subtags that name the language itself (language, extlangs, script,
    /// region, variants), which is what a display name is made of.
    private let core: Int

    /// A name for people: "English", "Spanish", "Portuguese (Brazil)", "Chinese, Traditional".
    /// English names from the system's locale data; extensions and private use are left out of
    /// the name; a language without a known name falls back to the tag itself.
    public var label: String {
        let subtags = value.split(separator: "-").map(String.init)
        let coreTag = subtags.prefix(core).joined(separator: "-")
        guard core > 0 else { return value }
        let english = Locale(identifier: "en")
        if let name = english.localizedString(forIdentifier: coreTag) { return name }
        // The locale data names nothing when any part is unknown (`en-Qaaa`): name the language
        // and keep the parts it could not name as they are.
        if let name = english.localizedString(forLanguageCode: subtags[0]) {
            let rest = subtags[1..<core].joined(separator: ", ")
            return rest.isEmpty ? name : "\(name) (\(rest))"
        }
        return value
    }

    private static func parse(_ text: String) -> (subtags: [String], coreCount: Int)? {
        guard !text.isEmpty, text.utf8.count <= maximumLength,
            text.utf8.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") })
        else { return nil }
        let parts = text.lowercased().split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 8 }) else { return nil }

        var out: [String] = []
        var i = 0
        func isAlpha(_ s: String) -> Bool { s.utf8.allSatisfy { $0 >= 97 && $0 <= 122 } }
        func isDigits(_ s: String) -> Bool { s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 } }
        func isPrivateUse(at index: Int) -> Bool { parts[index] == "x" }

        if !isPrivateUse(at: 0) {
            let language = parts[0]
            guard isAlpha(language), (2...3).contains(language.count) || (5...8).contains(language.count) else { return nil }
            out.append(language)
            i = 1
            if language.count <= 3 {
                var extlangs = 0
                while i < parts.count, extlangs < 3, parts[i].count == 3, isAlpha(parts[i]) {
                    out.append(parts[i])
                    i += 1
                    extlangs += 1
                }
            }
            if i < parts.count, parts[i].count == 4, isAlpha(parts[i]) {
                out.append(parts[i].prefix(1).uppercased() + parts[i].dropFirst())
                i += 1
            }
            if i < parts.count, (parts[i].count == 2 && isAlpha(parts[i])) || (parts[i].count == 3 && isDigits(parts[i])) {
                out.append(parts[i].uppercased())
                i += 1
            }
            var variants: Set<String> = []
            while i < parts.count, isVariant(parts[i]) {
                guard variants.insert(parts[i]).inserted else { return nil }
                out.append(parts[i])
                i += 1
            }
            let coreCount = out.count
            var singletons: Set<String> = []
            while i < parts.count, parts[i].count == 1, !isPrivateUse(at: i) {
                guard singletons.insert(parts[i]).inserted else { return nil }
                out.append(parts[i])
                i += 1
                let start = i
                while i < parts.count, parts[i].count >= 2 { out.append(parts[i]); i += 1 }
                guard i > start else { return nil }
            }
            if i == parts.count { return (out, coreCount) }
            guard isPrivateUse(at: i) else { return nil }
            out += parts[i...]
            return parts.count > i + 1 ? (out, coreCount) : nil
        }
        // Private use alone: `x-` and at least one subtag.
        guard parts.count > 1 else { return nil }
        return (parts, 0)
    }

    private static func isVariant(_ subtag: String) -> Bool {
        let first = subtag.utf8.first!
        return (5...8).contains(subtag.count) || (subtag.count == 4 && first >= 48 && first <= 57)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }
}
