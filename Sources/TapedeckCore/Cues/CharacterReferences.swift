/// The character references WebVTT cue text uses: the named ones caption tools write and
/// numeric ones (`&#233;`, `&#xE9;`). Anything else that starts with `&` stays as written.
///
/// Works on Unicode scalars, as WebVTT parsers do: with Characters, `&lt;` followed by a
/// combining mark would end in the grapheme `;́` and never be seen as a reference.
enum CharacterReferences {
    private static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "lrm": "\u{200E}",
        "rlm": "\u{200F}",
    ]

    static func decode(_ text: String.UnicodeScalarView.SubSequence) -> String {
        guard text.contains("&") else { return String(String.UnicodeScalarView(text)) }
        var out = String.UnicodeScalarView()
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out.append(contentsOf: rest[..<amp])
            let afterAmp = rest.index(after: amp)
            // References are short; looking no further than 32 scalars keeps this linear.
            if let semicolon = rest[afterAmp...].prefix(32).firstIndex(of: ";"),
                let decoded = value(of: String(String.UnicodeScalarView(rest[afterAmp..<semicolon])))
            {
                out.append(contentsOf: decoded.unicodeScalars)
                rest = rest[rest.index(after: semicolon)...]
            } else {
                out.append("&")
                rest = rest[afterAmp...]
            }
        }
        out.append(contentsOf: rest)
        return String(out)
    }

    private static func value(of name: String) -> String? {
        if let text = named[name] { return text }
        guard name.hasPrefix("#") else { return nil }
        var digits = Substring(name.dropFirst())
        var radix = 10
        if digits.first == "x" || digits.first == "X" {
            digits = digits.dropFirst()
            radix = 16
        }
        // UInt32's parser would also take a sign; references are digits only.
        guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }),
            let number = UInt32(digits, radix: radix)
        else { return nil }
        // As HTML does: NUL, surrogates and values past Unicode become U+FFFD.
        guard number != 0, let scalar = Unicode.Scalar(number) else { return "\u{FFFD}" }
        return String(scalar)
    }
}
