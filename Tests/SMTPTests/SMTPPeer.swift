import Foundation
import Testing
import TestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The aiosmtpd server of `Tests/peers/smtp_peer.py`, one process for the whole test run,
/// with a server per mode (plain, STARTTLS, implicit TLS, untrusted certificates, ...).
final class SMTPPeer: Sendable {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let script = repositoryRoot.appendingPathComponent("Tests/peers/smtp_peer.py").path
    static let user = "mailer"
    static let password = "s3cret pass/word@1"
    /// Recipients the peer answers with a scripted failure at RCPT TO.
    static let temporaryFailureRecipient = "soon@example.test"
    static let permanentFailureRecipient = "nobody@example.test"

    /// A Python that has aiosmtpd and trustme: the repository's venv, else python3 on PATH.
    static let python: String? = {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/python3" }
        return ([repositoryRoot.appendingPathComponent(".venv/bin/python").path] + path).first { python in
            FileManager.default.isExecutableFile(atPath: python)
                && (try? ProcessRunner.runBlocking(python, ["-c", "import aiosmtpd, trustme"]))?.status == 0
        }
    }()

    /// Started once, by the first test that needs it; waited for without blocking a thread of
    /// the test run's small pool (other tests keep running meanwhile).
    static let shared = Task { try await SMTPPeer() }

    let directory: String
    let ports: [String: Int]
    let process: Process

    var caFile: String { directory + "/ca.pem" }
    var otherCAFile: String { directory + "/other-ca.pem" }

    private init() async throws {
        guard let python = Self.python else { throw PeerError("no Python with aiosmtpd and trustme") }
        directory = try TemporaryDirectory.create("smtp-peer").path
        process = try ProcessRunner.start(
            python,
            [
                "-u", Self.script, "serve", directory, "--user", Self.user, "--password", Self.password,
                "--parent", String(getpid()), "--remove-on-exit",
                "--reply", "\(Self.temporaryFailureRecipient)=451 4.3.0 scripted: mailbox busy, try later",
                "--reply", "\(Self.permanentFailureRecipient)=550 5.1.1 scripted: no such user here",
            ], logPrefix: directory + "/peer")
        let portsFile = directory + "/ports.json"
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: portsFile) {
            guard process.isRunning, ContinuousClock.now < deadline else {
                let log = (try? String(contentsOfFile: directory + "/peer.err", encoding: .utf8)) ?? ""
                throw PeerError("the SMTP peer did not start: \(log.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        ports = try JSONDecoder().decode([String: Int].self, from: Data(contentsOf: URL(fileURLWithPath: portsFile)))
    }

    func port(_ mode: String) -> Int { ports[mode]! }

    /// The messages received so far whose Message-ID is `messageID`.
    func received(messageID: String) throws -> [ReceivedMail] {
        let mail = directory + "/mail"
        let names = try FileManager.default.contentsOfDirectory(atPath: mail).filter { $0.hasSuffix(".eml") }.sorted()
        return try names.compactMap { name in
            let raw = try Data(contentsOf: URL(fileURLWithPath: "\(mail)/\(name)"))
            guard String(decoding: raw, as: UTF8.self).contains("Message-ID: \(messageID)\r\n") else { return nil }
            let meta = try JSONDecoder().decode(
                Envelope.self, from: Data(contentsOf: URL(fileURLWithPath: "\(mail)/\(name.dropLast(4)).json")))
            return ReceivedMail(path: "\(mail)/\(name)", raw: raw, envelope: meta)
        }
    }

    /// The one message with this Message-ID, parsed by Python's email package.
    func parsed(messageID: String) async throws -> (ReceivedMail, ParsedMail) {
        let mails = try received(messageID: messageID)
        guard mails.count == 1 else { throw PeerError("expected one message with \(messageID), found \(mails.count)") }
        return (mails[0], try await Self.parse([mails[0].path])[0])
    }

    static func parse(_ paths: [String]) async throws -> [ParsedMail] {
        let result = try await ProcessRunner.run(python!, [script, "inspect"] + paths)
        guard result.status == 0 else { throw PeerError("inspect failed: \(result.stderr.suffix(2000))") }
        return try JSONDecoder().decode([ParsedMail].self, from: Data(result.stdout.utf8))
    }

    struct PeerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

struct ReceivedMail {
    var path: String
    var raw: Data
    var envelope: Envelope
}

struct Envelope: Decodable {
    struct Auth: Decodable {
        var mechanism: String
        var user: String
    }
    var mode: String
    var mail_from: String
    var mail_options: [String]
    var rcpt_tos: [String]
    var tls: Bool
    var auth: Auth?
    var helo: String?
    var extended_smtp: Bool
}

struct ParsedMail: Decodable {
    struct Part: Decodable {
        var content_type: String
        var charset: String?
        var transfer_encoding: String?
        var defects: [String]
    }
    var headers: [[String]]
    var defects: [String]
    var content_type: String
    var parts: [Part]
    var text: String?
    var html: String?
    var max_line_length: Int
    var only_ascii: Bool
    var bare_line_feeds: Bool
    var from_addresses: [[String]]
    var to_addresses: [[String]]

    var headerNames: [String] { headers.map { $0[0] } }
    func header(_ name: String) -> String? { headers.first { $0[0].lowercased() == name.lowercased() }?[1] }
}

extension Trait where Self == ConditionTrait {
    static var requiresSMTPPeer: Self {
        .enabled(
            if: SMTPPeer.python != nil,
            "needs Python with aiosmtpd and trustme (scripts/python-venv.sh, or pip install aiosmtpd trustme)")
    }
}
