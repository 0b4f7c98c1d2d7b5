import Foundation

/// Writing user text into header fields so that it stays inside its field (RFC 5322 §2.2,
/// RFC 2047): control characters become spaces, anything that is not plain printable ASCII is
/// sent as `=?UTF-8?B?...?=` encoded-words, and long fields are folded at spaces.
enum HeaderText {
    /// The line length the writer keeps to (RFC 5322's SHOULD; the hard limit is 998).
    static let lineLimit = 78
    /// UTF-8 bytes per encoded-word: 39 bytes are 52 base64 characters, 64 with `=?UTF-8?B?`
    /// and `?=`, so a word fits after `Subject: ` within 78 columns.
    static let encodedWordBytes = 39

    /// One line of text: every control character (C0, DEL, C1) and the Unicode line and
    /// paragraph separators become a space.
    static func singleLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            let value = scalar.value
            let control = value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
            return control ? " " : scalar
        }))
    }

    /// Whether text may go into a header as it is: printable ASCII, and nothing a decoder could
    /// mistake for an encoded-word.
    static func isPlainPrintable(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } && !text.contains("=?")
    }

    /// The text as encoded-words, split between Unicode scalars so no word holds part of a character.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > encodedWordBytes {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(encodedWord(chunk)) }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// `Name: ` followed by the tokens separated by single spaces, a line break inserted before a
    /// space wherever the next token would pass the line limit (unfolding restores the text).
    static func field(_ name: String, tokens: [String]) -> String {
        var out = name + ":"
        var column = out.count
        for token in tokens {
            if column + 1 + token.count > lineLimit, column > name.count + 1 {
                out += "\r\n"
                column = 0
            }
            out += " " + token
            column += 1 + token.count
        }
        return out + "\r\n"
    }

    /// A free-text field such as Subject: plain words when the text is printable ASCII without
    /// leading, trailing or doubled spaces and no word too long to fold; encoded-words otherwise.
    static func unstructured(_ name: String, _ text: String) -> String {
        let line = singleLine(text)
        if line.isEmpty { return name + ":\r\n" }
        let words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let plain = isPlainPrintable(line) && words.allSatisfy { !$0.isEmpty && $0.count <= lineLimit - name.count - 2 }
        return field(name, tokens: plain ? words : encodedWords(line))
    }

    /// The longest display names the writer sends, so that `From: ` and the name fit in 78
    /// columns: 66 characters of plain ASCII once quoted, or 45 bytes of UTF-8, which is one
    /// encoded-word of 72 characters. One word, because readers disagree on the space between
    /// two encoded-words in a name (RFC 2047 drops it, Python's email package keeps one), and a
    /// name must read the same everywhere.
    static let quotedNameLimit = 66
    static let encodedNameBytes = 45

    /// The name cut at a character boundary (ending `...` or `…`) when it is over those limits.
    static func fittedDisplayName(_ name: String) -> String {
        if isPlainPrintable(name) {
            func quotedLength(_ text: Substring) -> Int { text.count + text.filter { $0 == "\"" || $0 == "\\" }.count + 2 }
            guard quotedLength(name[...]) > quotedNameLimit else { return name }
            var kept = name[...]
            while quotedLength(kept) + 3 > quotedNameLimit { kept = kept.dropLast() }
            return kept + "..."
        }
        if name.utf8.count <= encodedNameBytes { return name }
        let budget = encodedNameBytes - "…".utf8.count
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in name.unicodeScalars {
            let size = String(scalar).utf8.count
            guard used + size <= budget else { break }
            kept.append(scalar)
            used += size
        }
        return String(kept) + "…"
    }

    /// A display name: a quoted-string (RFC 5322 §3.2.4, `"` and `\` escaped) when it is plain
    /// printable ASCII, one encoded-word otherwise. The name has been fitted to the limits.
    static func displayName(_ name: String) -> [String] {
        if isPlainPrintable(name) {
            return ["\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""]
        }
        return ["=?UTF-8?B?" + Data(name.utf8).base64EncodedString() + "?="]
    }

    static func mailbox(_ address: MailAddress) -> [String] {
        guard let name = address.displayName else { return [address.address] }
        return displayName(name) + ["<" + address.address + ">"]
    }
}
