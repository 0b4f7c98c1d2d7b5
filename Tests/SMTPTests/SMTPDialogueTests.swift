import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import SMTP

/// The client's side of the dialogue against a scripted server: what real servers rarely do.
struct SMTPDialogueTests {
    func message(_ text: String = "Hello.\n") throws -> MailMessage {
        try MailMessage(
            from: MailAddress(address: "r@tapedeck.test"), to: MailAddress(address: "a@example.test"), subject: "Hi",
            textBody: text)
    }

    func send(_ url: String, _ mail: MailMessage? = nil) async throws(SMTPError) -> SMTPReceipt {
        var configuration = try SMTPConfiguration(url: url)
        configuration.replyTimeout = .seconds(5)
        return try await SMTPClient(configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            .send(try! mail ?? message())
    }

    /// A server that accepts everything, with the given EHLO answer.
    static func acceptAll(ehlo: String) -> ScriptedSMTPServer.Script {
        { line in
            let command = line.uppercased()
            if command.hasPrefix("EHLO") { return ehlo }
            if command.hasPrefix("HELO") { return "250 scripted.test\r\n" }
            if command == "DATA" { return "354 go on\r\n" }
            if command == "." { return "250-accepted\r\n250 queued as 42\r\n" }
            if command == "QUIT" { return "221 bye\r\n" }
            return "250 ok\r\n"
        }
    }

    @Test("EHLO refused: HELO, then the message goes without extensions")
    func heloFallback() async throws {
        let server = try await ScriptedSMTPServer { line in
            line.uppercased().hasPrefix("EHLO") ? "502 5.5.1 EHLO not implemented\r\n" : Self.acceptAll(ehlo: "")(line)
        }
        defer { server.close() }
        let receipt = try await send("smtp://127.0.0.1:\(server.port)?starttls=off")
        #expect(receipt.reply == "accepted queued as 42")
        let commands = server.lines.map { $0.split(separator: " ").first.map(String.init) ?? $0 }
        #expect(commands.prefix(4) == ["EHLO", "HELO", "MAIL", "RCPT"])
        #expect(!server.lines.contains { $0.contains("SIZE=") })
    }

    @Test("EHLO refused where STARTTLS is required: refused, nothing sent")
    func heloWithoutTLS() async throws {
        let server = try await ScriptedSMTPServer { line in
            line.uppercased().hasPrefix("EHLO") ? "500 what\r\n" : Self.acceptAll(ehlo: "")(line)
        }
        defer { server.close() }
        await #expect { _ = try await send("smtp://127.0.0.1:\(server.port)") } throws: { error in
            if case .tls = error as? SMTPError { return true }
            return false
        }
        #expect(!server.lines.contains { $0.hasPrefix("MAIL") })
    }

    @Test("Multi-line greeting, EHLO and final replies are read whole")
    func multiLine() async throws {
        let server = try await ScriptedSMTPServer(greeting: "220-scripted.test ESMTP\r\n220-second line\r\n220 ready\r\n") { line in
            Self.acceptAll(ehlo: "250-scripted.test hello\r\n250-PIPELINING\r\n250-SIZE 0\r\n250 8BITMIME\r\n")(line)
        }
        defer { server.close() }
        let receipt = try await send("smtp://127.0.0.1:\(server.port)?starttls=off")
        #expect(receipt.code == 250 && receipt.reply == "accepted queued as 42")
        // SIZE 0 means no fixed limit; the size is still declared.
        #expect(server.lines.contains { $0.hasPrefix("MAIL FROM:<r@tapedeck.test> SIZE=") })
        #expect(server.lines.last == "QUIT")
    }

    @Test("Bytes after the 220 to STARTTLS are refused as an injection, before any TLS")
    func startTLSInjection() async throws {
        let server = try await ScriptedSMTPServer { line in
            if line.uppercased() == "STARTTLS" { return "220 go ahead\r\n250 injected\r\n" }
            return Self.acceptAll(ehlo: "250-scripted.test\r\n250 STARTTLS\r\n")(line)
        }
        defer { server.close() }
        await #expect { _ = try await send("smtp://127.0.0.1:\(server.port)") } throws: { error in
            guard case .tls(let reason) = error as? SMTPError else { return false }
            return reason.contains("before the TLS handshake")
        }
    }

    @Test("A message over the server's SIZE is permanent, and MAIL FROM is never sent")
    func sizeLimit() async throws {
        let server = try await ScriptedSMTPServer { line in Self.acceptAll(ehlo: "250-scripted.test\r\n250 SIZE 100\r\n")(line) }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) {
            try await send("smtp://127.0.0.1:\(server.port)?starttls=off", message(String(repeating: "x", count: 500)))
        }
        guard case .permanent(nil, let reply)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reply.contains("at most 100"))
        #expect(!server.lines.contains { $0.hasPrefix("MAIL") })
    }

    @Test("A login is configured but the server offers no AUTH: a configuration error")
    func noAuthOffered() async throws {
        let server = try await ScriptedSMTPServer { line in Self.acceptAll(ehlo: "250 scripted.test\r\n")(line) }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://u:p@127.0.0.1:\(server.port)?starttls=off") }
        guard case .configuration? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(!server.lines.contains { $0.hasPrefix("MAIL") })
    }

    @Test("Only mechanisms other than PLAIN and LOGIN: a configuration error naming them")
    func unknownMechanisms() async throws {
        let server = try await ScriptedSMTPServer { line in Self.acceptAll(ehlo: "250-scripted.test\r\n250 AUTH CRAM-MD5 XOAUTH2\r\n")(line) }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://u:p@127.0.0.1:\(server.port)?starttls=off") }
        #expect(String(describing: error).contains("CRAM-MD5 XOAUTH2"))
    }

    @Test("AUTH LOGIN sends the user and password base64-encoded, one per 334")
    func authLogin() async throws {
        let server = try await ScriptedSMTPServer { line in
            if line == "AUTH LOGIN" { return "334 VXNlcm5hbWU6\r\n" }
            if line == SMTPClient.base64("mailer") { return "334 UGFzc3dvcmQ6\r\n" }
            if line == SMTPClient.base64("p@ss word") { return "235 2.7.0 ok\r\n" }
            return Self.acceptAll(ehlo: "250-scripted.test\r\n250 AUTH LOGIN\r\n")(line)
        }
        defer { server.close() }
        let receipt = try await send("smtp://mailer:p%40ss%20word@127.0.0.1:\(server.port)?starttls=off")
        #expect(receipt.authMechanism == "LOGIN")
    }

    @Test("A server echoing the credentials in its refusal: the error text has them removed")
    func echoedPassword() async throws {
        let server = try await ScriptedSMTPServer { line in
            if line.hasPrefix("AUTH PLAIN ") { return "535 5.7.8 bad credentials \(line.dropFirst(11)) for p4ssw0rd\r\n" }
            return Self.acceptAll(ehlo: "250-scripted.test\r\n250 AUTH PLAIN LOGIN\r\n")(line)
        }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://mailer:p4ssw0rd@127.0.0.1:\(server.port)?starttls=off") }
        #expect(error?.code == 535)
        #expect(!String(describing: error).contains("p4ssw0rd"))
        #expect(!String(describing: error).contains(SMTPClient.base64("\0mailer\0p4ssw0rd")))
    }

    @Test("421 at the greeting is transient; a dropped connection is transient")
    func transientFailures() async throws {
        let busy = try await ScriptedSMTPServer(greeting: "421 4.3.2 too busy\r\n") { _ in nil }
        defer { busy.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://127.0.0.1:\(busy.port)?starttls=off") }
        #expect(error == .transient(code: 421, reply: "4.3.2 too busy"))

        let dropping = try await ScriptedSMTPServer { line in line.hasPrefix("RCPT") ? nil : Self.acceptAll(ehlo: "250 x\r\n")(line) }
        defer { dropping.close() }
        let dropped = await #expect(throws: SMTPError.self) { try await send("smtp://127.0.0.1:\(dropping.port)?starttls=off") }
        guard case .transient(nil, _)? = dropped else { Issue.record("got \(String(describing: dropped))"); return }
    }

    @Test("554 at the greeting stays permanent though the server hangs up right after")
    func refusedAtGreeting() async throws {
        let server = try await ScriptedSMTPServer(greeting: "554 5.7.1 no service for you\r\n") { _ in nil }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://127.0.0.1:\(server.port)?starttls=off") }
        #expect(error == .permanent(code: 554, reply: "5.7.1 no service for you"))
    }

    @Test("A positive reply where another was due is transient, not a success")
    func unexpectedReply() async throws {
        let server = try await ScriptedSMTPServer { line in
            line == "DATA" ? "250 sure\r\n" : Self.acceptAll(ehlo: "250 x\r\n")(line)
        }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://127.0.0.1:\(server.port)?starttls=off") }
        #expect(error == .transient(code: 250, reply: "sure"))
    }

    @Test("A malformed reply ends the attempt, retryable, with the text shown safely")
    func malformedReply() async throws {
        let server = try await ScriptedSMTPServer(greeting: "hello\u{1B}[31m there\r\n") { _ in nil }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://127.0.0.1:\(server.port)?starttls=off") }
        guard case .transient(nil, let reply)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reply.contains("malformed") && !reply.contains("\u{1B}"))
    }

    @Test("A reply line that never ends is cut off, not buffered without bound")
    func endlessLine() async throws {
        let server = try await ScriptedSMTPServer(greeting: "220 " + String(repeating: "x", count: 10_000)) { _ in nil }
        defer { server.close() }
        let error = await #expect(throws: SMTPError.self) { try await send("smtp://127.0.0.1:\(server.port)?starttls=off") }
        #expect(String(describing: error).contains("longer than"))
    }

    @Test("The body on the wire is dot-stuffed and ends with a lone dot")
    func wireDotStuffing() async throws {
        let server = try await ScriptedSMTPServer { line in Self.acceptAll(ehlo: "250 x\r\n")(line) }
        defer { server.close() }
        _ = try await send("smtp://127.0.0.1:\(server.port)?starttls=off", message(".\n..x\nend"))
        let lines = server.lines
        let start = lines.firstIndex(of: "DATA")! + 1
        let body = Array(lines[start...].prefix { $0 != "." })
        #expect(body.suffix(3) == ["..", "...x", "end"])
        #expect(lines[start + body.count] == ".")
    }
}

/// Reply grammar and EHLO keywords.
struct SMTPReplyParserTests {
    @Test("Single and multi-line replies; code mismatches and junk refused")
    func parse() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.consume(line: "250 ok") == SMTPReply(code: 250, lines: ["ok"]))
        #expect(try parser.consume(line: "250-a") == nil)
        #expect(parser.isMidReply)
        #expect(try parser.consume(line: "250-b c") == nil)
        #expect(try parser.consume(line: "250") == SMTPReply(code: 250, lines: ["a", "b c", ""]))
        #expect(!parser.isMidReply)
        _ = try parser.consume(line: "250-a")
        #expect(throws: SMTPReplyParser.Failure.self) { try parser.consume(line: "251 b") }
        for junk in ["", "25", "abc", "2500 x", "250x", "650 x", "150 x", "\u{0}50 x"] {
            var fresh = SMTPReplyParser()
            #expect(throws: SMTPReplyParser.Failure.self, "\(junk.debugDescription)") { try fresh.consume(line: junk) }
        }
        var long = SMTPReplyParser()
        #expect(throws: SMTPReplyParser.Failure.tooLong) {
            for _ in 0...SMTPReplyParser.maximumLines { _ = try long.consume(line: "250-x") }
        }
    }

    @Test("EHLO keywords: case-insensitive, AUTH mechanisms, SIZE")
    func capabilities() {
        let capabilities = SMTPCapabilities(
            ehloReply: SMTPReply(code: 250, lines: ["mx.test greets you", "auth login Plain", "SIZE 1000", "starttls", "8BITMIME"]))
        #expect(capabilities.startTLS && capabilities.eightBitMIME && !capabilities.smtpUTF8)
        #expect(capabilities.authMechanisms == ["LOGIN", "PLAIN"])
        #expect(capabilities.maximumSize == 1000)
        // The greeting line is not a capability, even when it looks like one.
        #expect(!SMTPCapabilities(ehloReply: SMTPReply(code: 250, lines: ["STARTTLS"])).startTLS)
    }
}
