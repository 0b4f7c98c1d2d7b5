import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("Email addresses and invitee entries")
struct EmailAddressTests {
    @Test("ordinary addresses are accepted")
    func accepted() {
        for address in ["ada@example.com", "Ada.Lovelace+class7@mail.example.co.uk", "o'brien@example.ie", "x@a-b.example", "{}|~@example.org"] {
            #expect(EmailAddress.problem(address) == nil, "\(address)")
        }
        #expect(EmailAddress.normalize("Ada@Example.COM") == "ada@example.com")
    }

    @Test("anything that could end a header, add a recipient or is not an address is refused")
    func refused() {
        let cases = [
            "", "ada", "@example.com", "ada@", "ada@@example.com", "a@b@example.com", "ada@example", "ada@-example.com",
            "ada@example-.com", "ada@exa_mple.com", "ada.@example.com", ".ada@example.com", "a..da@example.com",
            "ada @example.com", "ada@example.com\r\nBcc: eve@example.com", "ada@example.com\nX: y", "\"ada\"@example.com",
            "ada(comment)@example.com", "ada@[127.0.0.1]", "ada,eve@example.com", "<ada@example.com>", "adä@example.com",
            "ada@exämple.com", "ada@example.com\u{0}", String(repeating: "a", count: 65) + "@example.com",
            "a@" + String(repeating: "b", count: 250) + ".com", "ada@" + String(repeating: "b", count: 64) + ".com",
        ]
        for address in cases {
            #expect(EmailAddress.problem(address) != nil, "\(address.debugDescription)")
        }
    }

    @Test("every hostile string is either refused or a plain address")
    func hostile() {
        for value in HostileStrings.all where EmailAddress.problem(value) == nil {
            #expect(value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } && value.contains("@"), "\(value.debugDescription)")
        }
    }

    @Test("generated addresses: accepted ones hold no byte that could leave a header or the envelope")
    func generated() {
        var random = SeededRandom(seed: 16)
        let alphabet = Array("aZ9.-_+@ \r\n\t<>\",;:()[]\\\u{0}é\u{2028}".unicodeScalars)
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...24, using: &random)
            let value = String(String.UnicodeScalarView((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
            guard EmailAddress.problem(value) == nil else { continue }
            #expect(value.utf8.filter { $0 == UInt8(ascii: "@") }.count == 1)
            #expect(!value.utf8.contains { $0 <= 0x20 || $0 >= 0x7F || Array("<>\",;:()[]\\".utf8).contains($0) }, "\(value.debugDescription)")
            #expect(!value.hasPrefix(".") && !value.contains("..") && !value.contains(".@") && !value.contains("@."))
        }
    }

    @Test("invitee entries: each field checked, names without line breaks, one entry per address")
    func invitees() {
        #expect(Invitee.problem(email: "ada@example.com", name: "Ada Lovelace", role: "student") == nil)
        #expect(Invitee.problem(email: "nope", name: nil, role: nil)?.field == "email")
        #expect(Invitee.problem(email: "ada@example.com", name: "Ada\r\nBcc: x", role: nil)?.field == "name")
        #expect(Invitee.problem(email: "ada@example.com", name: "Ada\u{2028}", role: nil)?.field == "name")
        #expect(Invitee.problem(email: "ada@example.com", name: "", role: nil)?.field == "name")
        #expect(Invitee.problem(email: "ada@example.com", name: String(repeating: "n", count: 201), role: nil)?.field == "name")
        #expect(Invitee.problem(email: "ada@example.com", name: nil, role: "r\u{85}")?.field == "role")
        let list = Invitee.deduplicated([Invitee(email: "Ada@example.com", name: "A"), Invitee(email: "ada@EXAMPLE.com", name: "B"), Invitee(email: "bo@example.com")])
        #expect(list.map(\.name) == ["A", nil])
    }
}
