import Foundation
import NIOPosix
import Testing
import TestSupport

@testable import SMTP

struct SMTPConfigurationTests {
    @Test("smtps:// is implicit TLS on 465, smtp:// STARTTLS on 587, ?starttls=off plain on 25")
    func schemes() throws {
        let implicit = try SMTPConfiguration(url: "smtps://user:pass@mail.example.test")
        #expect(implicit.security == .implicitTLS && implicit.port == 465 && implicit.host == "mail.example.test")
        #expect(implicit.username == "user" && implicit.password == "pass")
        let startTLS = try SMTPConfiguration(url: "smtp://mail.example.test")
        #expect(startTLS.security == .startTLS && startTLS.port == 587 && startTLS.username == nil)
        let plain = try SMTPConfiguration(url: "smtp://127.0.0.1?starttls=off")
        #expect(plain.security == SMTPConfiguration.Security.none && plain.port == 25)
        #expect(try SMTPConfiguration(url: "SMTP://h.test:2525?starttls=required").port == 2525)
        #expect(try SMTPConfiguration(url: "smtp://[::1]:25?starttls=off").host == "::1")
    }

    @Test("User and password are percent-decoded; the description never shows the password")
    func credentials() throws {
        let configuration = try SMTPConfiguration(url: "smtp://us%40er:p%40ss%3Aw%2Fo%20rd%25@h.test:587")
        #expect(configuration.username == "us@er")
        #expect(configuration.password == "p@ss:w/o rd%")
        #expect(configuration.description == "smtp://us@er:***@h.test:587")
        #expect(!"\(configuration)".contains("p@ss"))
    }

    @Test("Bad URLs: a clear error naming the problem, without the password", arguments: [
        ("http://u:SECRETPW@h.test", "scheme"), ("smtp://", "host"), ("smtps://u:SECRETPW@", "host"),
        ("smtp://u:SECRETPW@h.test:0", "port"), ("smtp://u:SECRETPW@h.test:99999", "port"),
        ("smtp://u:SECRETPW@h.test/path", "path"), ("smtp://u:SECRETPW@h.test?tls=1", "unknown parameter"),
        ("smtps://u:SECRETPW@h.test?starttls=off", "starttls"), ("smtp://u:SECRETPW@h.test?starttls=maybe", "starttls"),
        ("smtp://u@h.test", "no password"), ("smtp://:SECRETPW@h.test", "without a user"),
        ("smtp://u:SECRET%zzPW@h.test", "percent"), ("not a url SECRETPW", ""), ("smtp://u:SECRET%00PW@h.test", "NUL"),
    ])
    func badURLs(url: String, mentions: String) {
        #expect {
            try SMTPConfiguration(url: url)
        } throws: { error in
            guard case .configuration(let reason) = error as? SMTPError else { return false }
            return reason.contains("TAPEDECK_SMTP_URL") && (mentions.isEmpty || reason.contains(mentions)) && !reason.contains("SECRET")
        }
    }

    @Test("Every hostile string as the URL is refused or parsed; never a crash")
    func hostileURLs() {
        for hostile in HostileStrings.all {
            for url in [hostile, "smtp://\(hostile)", "smtp://u:\(hostile)@h.test", "smtps://h.test:\(hostile)"] {
                do {
                    let configuration = try SMTPConfiguration(url: url)
                    #expect(configuration.host.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 })
                } catch {
                    if case .configuration = error {} else { Issue.record("unexpected \(error)") }
                }
            }
        }
    }

    @Test("The environment: no URL is no mail; a CA file must be readable")
    func environment() throws {
        #expect(try SMTPConfiguration(environment: [:]) == nil)
        #expect(try SMTPConfiguration(environment: ["TAPEDECK_SMTP_URL": " "]) == nil)
        let configured = try SMTPConfiguration(environment: ["TAPEDECK_SMTP_URL": "smtps://h.test"])
        #expect(configured?.caFile == nil)
        #expect {
            try SMTPConfiguration(environment: ["TAPEDECK_SMTP_URL": "smtps://h.test", "TAPEDECK_SMTP_CA_FILE": "/nonexistent/ca.pem"])
        } throws: { error in
            guard case .configuration(let reason) = error as? SMTPError else { return false }
            return reason.contains("TAPEDECK_SMTP_CA_FILE")
        }
    }

    @Test("A CA file that is not PEM is a configuration error at send time, before connecting")
    func badCAFile() async throws {
        let directory = try TemporaryDirectory.create("smtp-ca")
        defer { directory.remove() }
        let path = directory.path + "/ca.pem"
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: path))
        let client = SMTPClient(
            configuration: try SMTPConfiguration(url: "smtps://127.0.0.1:1", caFile: path),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        let message = try MailMessage(
            from: MailAddress(address: "r@tapedeck.test"), to: MailAddress(address: "a@example.test"), subject: "", textBody: "")
        await #expect {
            _ = try await client.send(message)
        } throws: { error in
            if case .configuration = error as? SMTPError { return true }
            return false
        }
    }
}
