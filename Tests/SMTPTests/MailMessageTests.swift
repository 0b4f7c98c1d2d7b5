import Foundation
import Testing
import TestSupport

@testable import SMTP

/// The message writer alone, read back by `MessageReader` (written from the RFCs).
struct MailMessageTests {
    static let expectedNames = [
        "Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ]
    static let expectedMultipartNames = [
        "Date", "From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version",
        "Content-Type",
    ]

    /// Text pieces the generated cases are made of: the hostile corpus and what is special to
    /// mail (line breaks of every kind, dots and `From ` at line starts, `=`, encoded-word look-alikes,
    /// boundary look-alikes, long words, non-ASCII).
    static let pieces: [String] =
        HostileStrings.all + [
            "", "\n", "\r\n", "\r", "\n\r", " ", "\t", ".", "..", "\n.\n", "\r\n.\r\n", "From ", "=", "=3D", "=?UTF-8?B?SGk=?=",
            "=?utf-8?q?x?=", "--=_tapedeck_", "--", "Bcc: victim@example.test", "\r\nBcc: x@y.z\r\n", "\u{0}", "\u{7F}", "\u{85}",
            "\u{2028}", "é", "日本語", "👩‍👩‍👧", "\u{301}", String(repeating: "w", count: 200), String(repeating: "é", count: 50),
            "word ", "  ", " trailing ", "<b>bold</b>", "\"quoted\"", "back\\slash", "a,b;c:d@e",
        ]

    static func generated(count: Int, seed: UInt64) -> [String] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            (0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
    }

    static let cases: [String] = HostileStrings.all + generated(count: 400, seed: 0x5EED_5A7B)

    /// What a body reads as after the round trip: every line break CRLF.
    func crlf(_ text: String) -> String {
        QuotedPrintable.lines(of: text).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\r\n")
    }

    func mail(_ text: String, html: String? = nil, unsubscribe: String? = nil) throws -> MailMessage {
        try MailMessage(
            from: MailAddress(address: "recordings@tapedeck.test", displayName: text),
            to: [MailAddress(address: "a@example.test", displayName: text), MailAddress(address: "b.c@example.test")],
            subject: text, textBody: text, htmlBody: html, listUnsubscribe: unsubscribe,
            date: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test("Any text as names, subject and bodies: the same header fields, and the text back intact")
    func roundTrip() throws {
        for text in Self.cases {
            let message = try mail(text, html: text, unsubscribe: "https://tapedeck.test/u?t=1")
            let rendered = message.render()
            let lines = try MessageReader.physicalLines(rendered)
            #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(text.debugDescription)")
            let parsed = try MessageReader.parse(rendered)
            #expect(parsed.names == Self.expectedMultipartNames, "\(text.debugDescription)")
            #expect(try MessageReader.decodeWords(parsed.value("Subject")!) == HeaderText.singleLine(text), "\(text.debugDescription)")
            let from = try MessageReader.mailbox(parsed.value("From")!)
            #expect(from.address == "recordings@tapedeck.test")
            #expect(from.name == message.from.displayName, "\(text.debugDescription)")
            let recipients = parsed.value("To")!
            #expect(recipients.hasSuffix(", b.c@example.test"), "\(text.debugDescription)")
            let to = try MessageReader.mailbox(String(recipients.dropLast(", b.c@example.test".count)))
            #expect(to.address == "a@example.test" && to.name == message.to[0].displayName, "\(text.debugDescription)")
            #expect(parsed.value("Message-ID") == message.messageID)
            let contentType = parsed.value("Content-Type")!
            #expect(contentType == "multipart/alternative; boundary=\"\(message.boundary)\"")
            let parts = try MessageReader.parts(of: parsed.body, boundary: message.boundary)
            #expect(parts.count == 2, "\(text.debugDescription)")
            #expect(parts.map { $0.value("Content-Type") } == ["text/plain; charset=utf-8", "text/html; charset=utf-8"])
            for part in parts {
                #expect(part.names == ["Content-Type", "Content-Transfer-Encoding"])
                let decoded = try MessageReader.decodeQP(Array(part.body.utf8))
                #expect(String(decoding: decoded, as: UTF8.self) == crlf(text), "\(text.debugDescription)")
            }
        }
    }

    @Test("A display name is what the header says: sanitised, and shortened only past the limits")
    func displayNames() throws {
        for text in Self.cases {
            let name = try MailAddress(address: "x@example.test", displayName: text).displayName
            let expected = HeaderText.singleLine(text).split(separator: " ").joined(separator: " ")
            if let name {
                #expect(!name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) })
                if name != expected {
                    // Shortened: a prefix of the name, marked, within the limit.
                    let marker = HeaderText.isPlainPrintable(name) ? 3 : 1
                    #expect(expected.unicodeScalars.starts(with: name.unicodeScalars.dropLast(marker)), "\(text.debugDescription)")
                    #expect(name.utf8.count <= 66)
                }
            } else {
                #expect(expected.isEmpty, "\(text.debugDescription)")
            }
        }
        #expect(try MailAddress(address: "x@example.test", displayName: "Dr. O'Brien, \"Ops\"").displayName == "Dr. O'Brien, \"Ops\"")
        #expect(try MailAddress(address: "x@example.test", displayName: " \r\n ").displayName == nil)
    }

    @Test("Plain ASCII names are quoted, others one encoded-word; subjects fold or encode")
    func encodings() throws {
        let plain = try mail("Ada Lovelace").render()
        #expect(plain.contains("From: \"Ada Lovelace\" <recordings@tapedeck.test>\r\n"))
        #expect(plain.contains("Subject: Ada Lovelace\r\n"))
        let special = try MailMessage(
            from: MailAddress(address: "r@tapedeck.test", displayName: "O\"Brien \\ Ops"), to: MailAddress(address: "a@example.test"),
            subject: "x", textBody: "").render()
        #expect(special.contains("From: \"O\\\"Brien \\\\ Ops\" <r@tapedeck.test>\r\n"))
        #expect(special.contains("To: a@example.test\r\n"))
        let accented = try mail("Zoë").render()
        #expect(accented.contains("From: =?UTF-8?B?Wm/Dqw==?= <recordings@tapedeck.test>\r\n"))
        #expect(accented.contains("Subject: =?UTF-8?B?Wm/Dqw==?=\r\n"))
        let long = String(repeating: "word ", count: 40).trimmingCharacters(in: .whitespaces)
        let folded = try MessageReader.parse(try mail(long).render())
        #expect(folded.value("Subject") == long)
        #expect(try mail(long).render().contains("Subject: word word"))
        let lookalike = try mail("=?UTF-8?B?SGk=?=").render()
        #expect(try MessageReader.decodeWords(MessageReader.parse(lookalike).value("Subject")!) == "=?UTF-8?B?SGk=?=")
    }

    @Test("A text-only message is one quoted-printable part")
    func textOnly() throws {
        let message = try mail("Hello\nthere.\n")
        let parsed = try MessageReader.parse(message.render())
        #expect(parsed.names == Self.expectedNames)
        #expect(parsed.value("Content-Type") == "text/plain; charset=utf-8")
        #expect(parsed.value("MIME-Version") == "1.0")
        #expect(String(decoding: try MessageReader.decodeQP(Array(parsed.body.utf8)), as: UTF8.self) == "Hello\r\nthere.\r\n")
        #expect(parsed.value("Content-Transfer-Encoding") == "quoted-printable")
    }

    @Test("Date is RFC 5322 in UTC; Message-ID uses the given or the sender's domain")
    func dateAndMessageID() throws {
        let message = try mail("x")
        #expect(try MessageReader.parse(message.render()).value("Date") == "Tue, 14 Nov 2023 22:13:20 +0000")
        #expect(message.messageID.hasPrefix("<") && message.messageID.hasSuffix("@tapedeck.test>"))
        let other = try MailMessage(
            from: MailAddress(address: "r@tapedeck.test"), to: MailAddress(address: "a@example.test"), subject: "", textBody: "",
            messageIDDomain: "mail.example.org")
        #expect(other.messageID.hasSuffix("@mail.example.org>"))
        #expect(other.messageID != (try mail("x").messageID))
        #expect(throws: MailFormatError.self) {
            try MailMessage(
                from: MailAddress(address: "r@tapedeck.test"), to: MailAddress(address: "a@example.test"), subject: "", textBody: "",
                messageIDDomain: "bad domain>\r\nX: y")
        }
    }

    @Test("Addresses: plausible ASCII addr-specs only", arguments: [
        ("a@example.test", true), ("first.last+tag@sub.example.co", true), ("o'brien@example.test", true),
        ("", false), ("noat", false), ("a@b", false), ("a@@example.test", false), (".a@example.test", false),
        ("a..b@example.test", false), ("a.@example.test", false), ("a b@example.test", false), ("a@exa mple.test", false),
        ("a@example.test\r\nBcc: x@y.z", false), ("a@example.test\n", false), ("a\u{0}@example.test", false),
        ("<a@example.test>", false), ("a@-example.test", false), ("a@example-.test", false), ("a@example..test", false),
        ("ü@example.test", false), ("a@exämple.test", false), ("\"a b\"@example.test", false),
        (String(repeating: "a", count: 65) + "@example.test", false),
    ])
    func addresses(address: String, valid: Bool) {
        #expect(((try? MailAddress(address: address)) != nil) == valid, "\(address.debugDescription)")
    }

    @Test("Every hostile string as an address is refused or is a clean addr-spec")
    func hostileAddresses() {
        for hostile in HostileStrings.all {
            if let address = try? MailAddress(address: hostile) {
                #expect(address.address.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") })
            }
        }
    }

    @Test("List-Unsubscribe takes only a one-line https, http or mailto URL")
    func unsubscribe() throws {
        for bad in ["javascript:alert(1)", "https://x.test/\r\nBcc: a@b.c", "https://x.test/<a>", "https://x.test/ a", "ftp://x.test",
            "https://x.test/é",
        ] + HostileStrings.all.filter({ !$0.hasPrefix("http") }) {
            #expect(throws: MailFormatError.self, "\(bad.debugDescription)") { try mail("x", unsubscribe: bad) }
        }
        let message = try mail("x", unsubscribe: "mailto:unsubscribe@tapedeck.test?subject=stop")
        #expect(message.render().contains("List-Unsubscribe: <mailto:unsubscribe@tapedeck.test?subject=stop>\r\n"))
        #expect(message.render().contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"))
        #expect(throws: MailFormatError.self) {
            try MailMessage(from: MailAddress(address: "r@tapedeck.test"), to: [], subject: "", textBody: "")
        }
    }

    @Test("Quoted-printable: 76-column lines, 7-bit, decodes to the text with CRLF breaks")
    func quotedPrintable() throws {
        for text in Self.cases {
            let encoded = QuotedPrintable.encode(text)
            let lines = try MessageReader.physicalLines(encoded + "\r\n")
            #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "\(text.debugDescription)")
            #expect(lines.allSatisfy { $0.last != " " && $0.last != "\t" }, "\(text.debugDescription)")
            #expect(!encoded.contains("=_"), "a boundary could appear: \(text.debugDescription)")
            #expect(String(decoding: try MessageReader.decodeQP(Array(encoded.utf8)), as: UTF8.self) == crlf(text))
        }
    }

    @Test("DATA: CRLF everywhere, leading dots doubled, one terminator; undone by a receiver")
    func dotStuffing() throws {
        #expect(String(decoding: SMTPDataEncoding.encode(".\r\n..\r\nx.\r\n.y"), as: UTF8.self) == "..\r\n...\r\nx.\r\n..y\r\n.\r\n")
        #expect(String(decoding: SMTPDataEncoding.encode("a\nb\rc\r\n"), as: UTF8.self) == "a\r\nb\r\nc\r\n.\r\n")
        #expect(String(decoding: SMTPDataEncoding.encode(""), as: UTF8.self) == ".\r\n")
        for text in Self.cases {
            let message = try mail(text, html: text).render()
            let wire = String(decoding: SMTPDataEncoding.encode(message), as: UTF8.self)
            let lines = try MessageReader.physicalLines(wire)
            // The receiver's side (RFC 5321 §4.5.2): stop at the lone dot, drop one leading dot.
            #expect(lines.last == ".")
            #expect(lines.dropLast().allSatisfy { $0 != "." }, "\(text.debugDescription)")
            #expect(lines.allSatisfy { $0.utf8.count <= 998 })
            let received = lines.dropLast().map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }.joined(separator: "\r\n") + "\r\n"
            #expect(received == crlf(message) + (message.hasSuffix("\r\n") ? "" : "\r\n"), "\(text.debugDescription)")
        }
    }

    @Test("A sender setting: an address, or a name and an address")
    func parsingMailboxes() throws {
        #expect(try MailAddress(parsing: " r@tapedeck.test ") == MailAddress(address: "r@tapedeck.test"))
        #expect(try MailAddress(parsing: "Tapedeck <r@tapedeck.test>") == MailAddress(address: "r@tapedeck.test", displayName: "Tapedeck"))
        #expect(try MailAddress(parsing: "\"Ops, Team\" <r@tapedeck.test>").displayName == "Ops, Team")
        #expect(try MailAddress(parsing: "<r@tapedeck.test>").displayName == nil)
        for bad in ["Tapedeck <r@tapedeck.test", "Tapedeck r@tapedeck.test", "<>", "a <b <r@tapedeck.test>>", "x\r\n<r@tapedeck.test>\r\n"] {
            if let parsed = try? MailAddress(parsing: bad) {
                #expect(parsed.address == "r@tapedeck.test" && !(parsed.displayName ?? "").contains("\r"), "\(bad.debugDescription)")
            }
        }
    }
}
