import Foundation
import NIOCore
import NIOPosix
import Testing
import TestSupport

@testable import SMTP

/// The client against a real SMTP server (aiosmtpd, `Tests/peers/smtp_peer.py`): what arrives is
/// read back with Python's email package.
@Suite(.requiresSMTPPeer)
struct SMTPDeliveryTests {
    static let encodedPassword = "s3cret%20pass%2Fword%401"

    func peer() async throws -> SMTPPeer { try await SMTPPeer.shared.value }

    func client(_ url: String, caFile: String? = nil, configure: (inout SMTPConfiguration) -> Void = { _ in }) throws
        -> SMTPClient
    {
        var configuration = try SMTPConfiguration(url: url, caFile: caFile)
        // A test that goes wrong should fail in seconds, not wait out the production timeout.
        configuration.replyTimeout = .seconds(10)
        configure(&configuration)
        return SMTPClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    }

    func login(_ scheme: String, _ mode: String, _ peer: SMTPPeer) -> String {
        "\(scheme)://\(SMTPPeer.user):\(Self.encodedPassword)@localhost:\(peer.port(mode))"
    }

    func message(
        to: String = "student@example.test", name: String? = "Ada Lovelace", subject: String = "Your recording is ready",
        text: String = "Hello,\nyour recording is ready.\n", html: String? = "<p>Hello,<br>your recording is <b>ready</b>.</p>\n"
    ) throws -> MailMessage {
        try MailMessage(
            from: MailAddress(address: "recordings@tapedeck.test", displayName: "Tapedeck"),
            to: MailAddress(address: to, displayName: name), subject: subject, textBody: text, htmlBody: html,
            listUnsubscribe: "https://tapedeck.test/unsubscribe?t=abc")
    }

    /// The line endings Python's email package hands back, for comparing bodies.
    func lines(_ text: String) -> String {
        QuotedPrintable.lines(of: text).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }

    @Test("STARTTLS with AUTH PLAIN: the message arrives with its headers and both bodies")
    func startTLSPlain() async throws {
        let peer = try await peer()
        let mail = try message()
        let receipt = try await client(login("smtp", "starttls", peer), caFile: peer.caFile).send(mail)
        #expect(receipt.code == 250)
        #expect(receipt.reply.contains("queued as tapedeck-"))
        #expect(receipt.encrypted)
        #expect(receipt.authMechanism == "PLAIN")
        let (received, parsed) = try await peer.parsed(messageID: mail.messageID)
        #expect(received.envelope.tls)
        #expect(received.envelope.auth?.mechanism == "PLAIN")
        #expect(received.envelope.auth?.user == SMTPPeer.user)
        #expect(received.envelope.extended_smtp)
        #expect(received.envelope.mail_from == "recordings@tapedeck.test")
        #expect(received.envelope.rcpt_tos == ["student@example.test"])
        #expect(received.envelope.mail_options.contains { $0.hasPrefix("SIZE=") })
        #expect(
            parsed.headerNames == [
                "Date", "From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post", "MIME-Version",
                "Content-Type",
            ])
        #expect(parsed.defects.isEmpty)
        #expect(parsed.header("Subject") == "Your recording is ready")
        #expect(parsed.header("Message-ID") == mail.messageID)
        #expect(parsed.header("List-Unsubscribe") == "<https://tapedeck.test/unsubscribe?t=abc>")
        #expect(parsed.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
        #expect(parsed.from_addresses == [["Tapedeck", "recordings@tapedeck.test"]])
        #expect(parsed.to_addresses == [["Ada Lovelace", "student@example.test"]])
        #expect(parsed.content_type == "multipart/alternative")
        #expect(parsed.parts.map(\.content_type) == ["multipart/alternative", "text/plain", "text/html"])
        #expect(parsed.parts.allSatisfy { $0.defects.isEmpty })
        #expect(parsed.text == "Hello,\nyour recording is ready.\n")
        #expect(parsed.html == "<p>Hello,<br>your recording is <b>ready</b>.</p>\n")
        #expect(parsed.only_ascii && !parsed.bare_line_feeds && parsed.max_line_length <= 78)
    }

    @Test("STARTTLS where only AUTH LOGIN is offered logs in with LOGIN")
    func startTLSLogin() async throws {
        let peer = try await peer()
        let mail = try message()
        let receipt = try await client(login("smtp", "starttls_login", peer), caFile: peer.caFile).send(mail)
        #expect(receipt.authMechanism == "LOGIN")
        let (received, _) = try await peer.parsed(messageID: mail.messageID)
        #expect(received.envelope.auth?.mechanism == "LOGIN")
        #expect(received.envelope.tls)
    }

    @Test("Implicit TLS (smtps://) delivers, encrypted from the first byte")
    func implicitTLS() async throws {
        let peer = try await peer()
        let mail = try message(html: nil)
        let receipt = try await client(login("smtps", "implicit", peer), caFile: peer.caFile).send(mail)
        #expect(receipt.encrypted && receipt.authMechanism == "PLAIN")
        let (received, parsed) = try await peer.parsed(messageID: mail.messageID)
        #expect(received.envelope.tls)
        #expect(received.envelope.mode == "implicit")
        #expect(parsed.content_type == "text/plain")
        #expect(parsed.text == "Hello,\nyour recording is ready.\n")
        #expect(parsed.html == nil)
    }

    @Test("Plain SMTP with ?starttls=off, to a relay that offers no TLS")
    func plainRelay() async throws {
        let peer = try await peer()
        let mail = try message()
        let receipt = try await client("smtp://127.0.0.1:\(peer.port("plain"))?starttls=off").send(mail)
        #expect(!receipt.encrypted && receipt.authMechanism == nil)
        let (received, parsed) = try await peer.parsed(messageID: mail.messageID)
        #expect(!received.envelope.tls && received.envelope.auth == nil)
        #expect(parsed.text == "Hello,\nyour recording is ready.\n")
    }

    @Test("A login over a relay without TLS, when the URL says so")
    func plainRelayWithLogin() async throws {
        let peer = try await peer()
        let mail = try message()
        let url = "smtp://\(SMTPPeer.user):\(Self.encodedPassword)@127.0.0.1:\(peer.port("plain_auth"))?starttls=off"
        let receipt = try await client(url).send(mail)
        #expect(receipt.authMechanism == "PLAIN")
        #expect(try await peer.parsed(messageID: mail.messageID).0.envelope.auth?.user == SMTPPeer.user)
    }

    @Test("smtp:// to a server without STARTTLS refuses to send in clear")
    func startTLSRequired() async throws {
        let peer = try await peer()
        let mail = try message()
        let error = await #expect(throws: SMTPError.self) {
            try await client("smtp://localhost:\(peer.port("no_starttls"))", caFile: peer.caFile).send(mail)
        }
        guard case .tls(let reason)? = error else { Issue.record("expected .tls, got \(String(describing: error))"); return }
        #expect(reason.contains("STARTTLS"))
        #expect(error?.isRetryable == false)
        #expect(try peer.received(messageID: mail.messageID).isEmpty)
    }

    @Test(
        "A certificate the CA does not sign ends in .tls and nothing is sent",
        arguments: [("smtps", "untrusted"), ("smtp", "untrusted_starttls")])
    func untrustedCertificate(scheme: String, mode: String) async throws {
        let peer = try await peer()
        let mail = try message()
        let error = await #expect(throws: SMTPError.self) {
            try await client(login(scheme, mode, peer), caFile: peer.caFile).send(mail)
        }
        guard case .tls(let reason)? = error else { Issue.record("expected .tls, got \(String(describing: error))"); return }
        #expect(reason.contains("certificate"))
        #expect(!reason.contains(SMTPPeer.password) && !reason.contains(Self.encodedPassword))
        #expect(try peer.received(messageID: mail.messageID).isEmpty)
    }

    @Test("Without the CA file the system's trust roots do not trust the test CA")
    func verificationOnByDefault() async throws {
        let peer = try await peer()
        let mail = try message()
        await #expect {
            try await client(login("smtps", "implicit", peer)).send(mail)
        } throws: { error in
            if case .tls = error as? SMTPError { return true }
            return false
        }
        #expect(try peer.received(messageID: mail.messageID).isEmpty)
    }

    @Test(
        "A certificate for another name fails even when its CA is trusted",
        arguments: ["localhost", "127.0.0.1"])
    func wrongHostName(host: String) async throws {
        let peer = try await peer()
        let mail = try message()
        let url = "smtps://\(SMTPPeer.user):\(Self.encodedPassword)@\(host):\(peer.port("wrong_name"))"
        let error = await #expect(throws: SMTPError.self) { try await client(url, caFile: peer.caFile).send(mail) }
        guard case .tls? = error else { Issue.record("expected .tls, got \(String(describing: error))"); return }
        #expect(try peer.received(messageID: mail.messageID).isEmpty)
    }

    @Test("A 4xx at RCPT TO is transient and keeps the server's text")
    func temporaryFailure() async throws {
        let peer = try await peer()
        let mail = try message(to: SMTPPeer.temporaryFailureRecipient)
        let error = await #expect(throws: SMTPError.self) {
            try await client(login("smtps", "implicit", peer), caFile: peer.caFile).send(mail)
        }
        #expect(error == .transient(code: 451, reply: "4.3.0 scripted: mailbox busy, try later"))
        #expect(error?.isRetryable == true)
        #expect(try peer.received(messageID: mail.messageID).isEmpty)
    }

    @Test("A 5xx at RCPT TO is permanent and keeps the server's text")
    func permanentFailure() async throws {
        let peer = try await peer()
        let mail = try message(to: SMTPPeer.permanentFailureRecipient)
        let error = await #expect(throws: SMTPError.self) {
            try await client(login("smtp", "starttls", peer), caFile: peer.caFile).send(mail)
        }
        #expect(error == .permanent(code: 550, reply: "5.1.1 scripted: no such user here"))
        #expect(error?.isRetryable == false)
    }

    @Test("A TLS connection dropped mid-session is transient, not a TLS failure", arguments: [("smtps", "implicit"), ("smtp", "starttls")])
    func droppedOverTLS(scheme: String, mode: String) async throws {
        let peer = try await peer()
        let error = await #expect(throws: SMTPError.self) {
            try await client(login(scheme, mode, peer), caFile: peer.caFile).send(try message(to: "drop@example.test"))
        }
        guard case .transient(nil, _)? = error else { Issue.record("expected .transient, got \(String(describing: error))"); return }
    }

    @Test("A wrong password is a permanent 535 whose text holds no password")
    func wrongPassword() async throws {
        let peer = try await peer()
        let mail = try message()
        let url = "smtps://\(SMTPPeer.user):not-the-password-9f2@localhost:\(peer.port("implicit"))"
        let error = await #expect(throws: SMTPError.self) { try await client(url, caFile: peer.caFile).send(mail) }
        #expect(error?.code == 535)
        #expect(error?.isRetryable == false)
        #expect(!String(describing: error).contains("not-the-password-9f2"))
        #expect(!String(describing: error).contains(SMTPClient.base64("not-the-password-9f2")))
    }

    @Test("A refused connection is transient")
    func connectionRefused() async throws {
        let port = try FreePort.find()
        let error = await #expect(throws: SMTPError.self) {
            try await client("smtp://127.0.0.1:\(port)?starttls=off").send(try message())
        }
        guard case .transient(nil, _)? = error else { Issue.record("expected .transient, got \(String(describing: error))"); return }
        #expect(error?.isRetryable == true)
    }

    @Test("A server that accepts the connection but never answers times out, transient")
    func silentServer() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = server.localAddress!.port!
        let error = await #expect(throws: SMTPError.self) {
            try await client("smtp://127.0.0.1:\(port)?starttls=off") { $0.replyTimeout = .seconds(1) }.send(try message())
        }
        guard case .transient(nil, let reply)? = error else {
            Issue.record("expected .transient, got \(String(describing: error))")
            return
        }
        // The configured second, not the ten seconds the other tests allow.
        #expect(reply.contains("no reply from the server within 1 s"), "\(reply)")
    }

    @Test("Lines starting with dots arrive as written (dot-stuffing)")
    func dotStuffing() async throws {
        let peer = try await peer()
        let text = ".\n..\n.leading dot\nmiddle . dot\n.\r\nlast."
        let mail = try message(text: text, html: nil)
        _ = try await client("smtp://127.0.0.1:\(peer.port("plain"))?starttls=off").send(mail)
        let (_, parsed) = try await peer.parsed(messageID: mail.messageID)
        #expect(parsed.text.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 } == lines(text))
    }

    @Test("Every hostile string as display name, subject and bodies: same headers, text intact")
    func hostileStrings() async throws {
        let peer = try await peer()
        let client = try client("smtp://127.0.0.1:\(peer.port("plain"))?starttls=off")
        var sent: [(String, MailMessage)] = []
        for hostile in HostileStrings.all {
            let mail = try MailMessage(
                from: MailAddress(address: "recordings@tapedeck.test", displayName: hostile),
                to: MailAddress(address: "student@example.test", displayName: hostile), subject: hostile, textBody: hostile,
                htmlBody: hostile, listUnsubscribe: "https://tapedeck.test/u")
            _ = try await client.send(mail)
            sent.append((hostile, mail))
        }
        let paths = try sent.map { try peer.received(messageID: $0.1.messageID).map(\.path) }
        #expect(paths.allSatisfy { $0.count == 1 })
        let parsed = try await SMTPPeer.parse(paths.flatMap { $0 })
        for ((hostile, mail), mail2) in zip(sent, parsed) {
            let expectedName = mail.from.displayName
            #expect(
                mail2.headerNames == [
                    "Date", "From", "To", "Subject", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post",
                    "MIME-Version", "Content-Type",
                ], "\(hostile.debugDescription)")
            #expect(mail2.defects.isEmpty, "\(hostile.debugDescription)")
            #expect(mail2.header("Subject") == HeaderText.singleLine(hostile), "\(hostile.debugDescription)")
            #expect(mail2.from_addresses == [[expectedName ?? "", "recordings@tapedeck.test"]], "\(hostile.debugDescription)")
            #expect(mail2.to_addresses == [[expectedName ?? "", "student@example.test"]], "\(hostile.debugDescription)")
            for body in [mail2.text, mail2.html] {
                #expect(body.map(lines) == lines(hostile) || body.map(lines) == lines(hostile) + "\n", "\(hostile.debugDescription)")
            }
            #expect(mail2.only_ascii && !mail2.bare_line_feeds && mail2.max_line_length <= 78, "\(hostile.debugDescription)")
        }
    }

    @Test("tapedeck mail test sends with the configured settings and prints the receipt, or the error")
    func commandLine() async throws {
        let peer = try await peer()
        let directory = try TemporaryDirectory.create("mail-test")
        defer { directory.remove() }
        func run(_ settings: [String]) async throws -> ProcessResult {
            let file = directory.path + "/settings.env"
            try Data((settings.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: file))
            return try await ProcessRunner.run(
                BuildProducts.path("tapedeck"), ["mail", "test", "--config", file, "--to", "Operator <ops@example.test>"],
                timeout: .seconds(60))
        }
        let sent = try await run([
            "TAPEDECK_SMTP_URL=\(login("smtp", "starttls", peer))", "TAPEDECK_SMTP_CA_FILE=\(peer.caFile)",
            "TAPEDECK_MAIL_FROM=Tapedeck <recordings@tapedeck.test>",
        ])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(sent.stdout.contains("Sent: 250 2.0.0 queued as tapedeck-"), "\(sent.stdout)")
        #expect(!(sent.stdout + sent.stderr).contains(SMTPPeer.password) && !(sent.stdout + sent.stderr).contains(Self.encodedPassword))
        let messageID = try #require(sent.stdout.firstMatch(of: /Message-ID (<[^>]+>)/)).1
        let (received, parsed) = try await peer.parsed(messageID: String(messageID))
        #expect(received.envelope.rcpt_tos == ["ops@example.test"] && received.envelope.tls)
        #expect(parsed.header("Subject") == "Tapedeck test message")
        #expect(parsed.to_addresses == [["Operator", "ops@example.test"]])

        let refused = try await run([
            "TAPEDECK_SMTP_URL=\(login("smtps", "untrusted", peer))", "TAPEDECK_SMTP_CA_FILE=\(peer.caFile)",
            "TAPEDECK_MAIL_FROM=recordings@tapedeck.test",
        ])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("mail not sent (permanent") && refused.stderr.contains("TLS"), "\(refused.stderr)")
        #expect(!(refused.stdout + refused.stderr).contains(SMTPPeer.password))

        let badURL = try await run(["TAPEDECK_SMTP_URL=smtp://u:\(Self.encodedPassword)@h.test?tls=yes", "TAPEDECK_MAIL_FROM=r@tapedeck.test"])
        #expect(badURL.status == 78)
        #expect(badURL.stderr.hasPrefix("tapedeck: configuration error: TAPEDECK_SMTP_URL: unknown parameter"), "\(badURL.stderr)")
        #expect(!badURL.stderr.contains(Self.encodedPassword))
    }
}
