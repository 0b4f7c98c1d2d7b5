/// Text a media server sends (participant names and identities, metadata, error messages):
/// stored, but never allowed to break a write. PostgreSQL refuses NUL in text outright, and a
/// webhook that fails to apply is redelivered forever, so control characters are replaced
/// rather than refused.
public enum ProviderText {
    public static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains(where: isControl)
    }

    /// The text with each control character (C0, DEL, C1) replaced by U+FFFD.
    public static func cleaned(_ text: String) -> String {
        guard hasControlCharacters(text) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(isControl(scalar) ? "\u{FFFD}" : scalar)
        }
        return String(out)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
