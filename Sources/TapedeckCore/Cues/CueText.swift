/// The one rule for "this cue has no text", shared by validation, the WebVTT writer and the
/// caption readers, so that a cue accepted is a cue written and a cue written is a cue read.
enum CueText {
    /// Only spaces, tabs and line breaks: what the writer drops line by line, since a line of
    /// them reads as nothing (or, empty, ends the cue). Other invisible characters (U+200B,
    /// no-break space) are text to WebVTT and are kept.
    static func isBlank(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }
    }

    /// The text with each control character other than tab and line feed (a NUL, an escape)
    /// replaced by U+FFFD, as a WebVTT parser replaces NUL: text read from a file can then be
    /// stored (PostgreSQL refuses NUL) and written again unchanged.
    static func withoutControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? "\u{FFFD}" : $0 }))
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        ProviderText.isControl(scalar) && scalar != "\t" && scalar != "\n"
    }
}
