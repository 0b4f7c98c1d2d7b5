import Foundation
import SMTP
import Testing
import TapedeckCore

@testable import TapedeckRecording

@Suite("Mail settings and the SMTP adapter")
struct MailSettingsTests {
    @Test("the sender is an address or Name <address>; anything else stops start-up")
    func sender() throws {
        #expect(MailSettings.parseFrom("school@example.com")! == (nil, "school@example.com"))
        #expect(MailSettings.parseFrom("The School <school@example.com>")! == ("The School", "school@example.com"))
        for bad in ["The School", "School <school@example>", "A\r\nBcc: x <a@example.com>", "<a@example.com", "\"A\"B\" <a@example.com>"] {
            #expect(MailSettings.parseFrom(bad) == nil, "\(bad.debugDescription)")
        }
        let off = try MailSettings.parse(SettingValues([:]), publicURL: "https://rec.example.com")
        #expect(off.smtpURL == nil && off.fromAddress == "tapedeck@rec.example.com")
        #expect(throws: SettingsError.self) {
            try MailSettings.parse(SettingValues(["TAPEDECK_SMTP_URL": "smtp://mail.example.com"]), publicURL: "http://localhost")
        }
        #expect(throws: SettingsError.self) {
            try MailSettings.parse(
                SettingValues(["TAPEDECK_SMTP_URL": "http://mail.example.com", "TAPEDECK_MAIL_FROM": "a@example.com"]),
                publicURL: "http://localhost")
        }
        let on = try MailSettings.parse(
            SettingValues(["TAPEDECK_SMTP_URL": "smtps://u:p%40ss@mail.example.com:465", "TAPEDECK_MAIL_FROM": "School <s@example.com>"]),
            publicURL: "http://localhost")
        #expect(on.messageIDDomain == "example.com" && on.fromName == "School")
        #expect(try on.smtpConfiguration()?.password == "p@ss")
    }

    @Test("an outbox message becomes one SMTP message with the outbox's Message-ID, the link and List-Unsubscribe")
    func adapter() throws {
        let mail = OutgoingMail(
            fromAddress: "school@example.com", fromName: "The School", toAddress: "ada@example.com", toName: "Ada\r\nBcc: eve@example.com",
            subject: "Recording ready: \u{1F393} class", textBody: "Hello\n\nhttps://rec.example.com/s/abc\n",
            htmlBody: "<p><a href=\"https://rec.example.com/s/abc\">Watch</a></p>",
            messageID: "<0f6a2c1e-1111-4222-8333-444455556666@example.com>", listUnsubscribe: "mailto:school@example.com?subject=unsubscribe",
            date: Date(timeIntervalSince1970: 1_800_000_000))
        let text = try SMTPMailTransport.message(mail).render()
        let headers = text.components(separatedBy: "\r\n\r\n")[0]
        #expect(headers.contains("Message-ID: <0f6a2c1e-1111-4222-8333-444455556666@example.com>\r\n"))
        #expect(headers.contains("List-Unsubscribe: <mailto:school@example.com?subject=unsubscribe>\r\n"))
        // The name's line break cannot start a header of its own.
        #expect(!headers.components(separatedBy: "\r\n").contains { $0.lowercased().hasPrefix("bcc:") })
        #expect(text.utf8.allSatisfy { $0 < 0x80 })
        #expect(throws: MailFormatError.self) {
            var bad = mail
            bad.messageID = "<a@b>\r\nBcc: eve@example.com"
            _ = try SMTPMailTransport.message(bad)
        }
    }
}
