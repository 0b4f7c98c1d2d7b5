import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// The server's final answer to a message it accepted.
public struct SMTPReceipt: Sendable, Equatable, CustomStringConvertible {
    /// The reply to the end of DATA (250).
    public var code: Int
    /// Its text: many servers name their queue id here.
    public var reply: String
    /// The message's `Message-ID` header.
    public var messageID: String
    /// Whether the message travelled over TLS (implicit or STARTTLS).
    public var encrypted: Bool
    /// The SASL mechanism used to log in (`PLAIN`, `LOGIN`), nil when none was.
    public var authMechanism: String?

    public var description: String {
        "\(code) \(reply) (Message-ID \(messageID), \(encrypted ? "TLS" : "no TLS"), \(authMechanism.map { "AUTH \($0)" } ?? "no AUTH"))"
    }
}

/// Sends one message per connection to the configured server (RFC 5321): greeting, EHLO (HELO
/// when EHLO is refused), STARTTLS and EHLO again, AUTH PLAIN or LOGIN, MAIL FROM, RCPT TO,
/// DATA, QUIT. Errors are ``SMTPError``s a delivery queue can act on.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    let eventLoopGroup: any EventLoopGroup

    public init(configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
    }

    public func send(_ message: MailMessage) async throws(SMTPError) -> SMTPReceipt {
        let tlsContext = try makeTLSContext()
        let connection: SMTPConnection
        do {
            connection = try await SMTPConnection.connect(
                configuration: configuration, group: eventLoopGroup,
                implicitTLS: configuration.security == .implicitTLS ? tlsContext : nil)
        } catch {
            throw Self.classify(error)
        }
        defer { connection.close() }
        do {
            return try await deliver(message, over: connection, tlsContext: tlsContext)
        } catch let error as SMTPError {
            throw (try? await connection.failure()).flatMap { $0 } ?? error
        } catch {
            throw (try? await connection.failure()).flatMap { $0 } ?? Self.classify(error)
        }
    }

    private func deliver(_ message: MailMessage, over connection: SMTPConnection, tlsContext: NIOSSLContext) async throws
        -> SMTPReceipt
    {
        let greeting = try await connection.reply()
        guard greeting.code == 220 else { throw SMTPError.reply(greeting) }
        var capabilities = try await hello(connection)
        var encrypted = configuration.security == .implicitTLS
        if configuration.security == .startTLS {
            guard capabilities.startTLS else {
                throw SMTPError.tls(
                    "the server does not offer STARTTLS; refusing to send in clear (smtps:// for TLS on connect, ?starttls=off only for a relay on loopback)")
            }
            let ready = try await connection.command("STARTTLS")
            guard ready.code == 220 else { throw SMTPError.reply(ready) }
            try await connection.startTLS(context: tlsContext, serverName: Self.serverNameForTLS(configuration.host))
            encrypted = true
            // What the server offered in clear may have been altered: ask again (RFC 3207 §4.2).
            capabilities = try await hello(connection, allowHELO: false)
        }
        var mechanism: String?
        if let username = configuration.username, let password = configuration.password {
            mechanism = try await authenticate(connection, capabilities: capabilities, username: username, password: password)
        }

        let data = SMTPDataEncoding.encode(message.render())
        if let limit = capabilities.maximumSize, data.count > limit {
            throw SMTPError.permanent(code: nil, reply: "the message is \(data.count) bytes; the server takes at most \(limit)")
        }
        let sizeParameter = capabilities.keywords["SIZE"] != nil ? " SIZE=\(data.count)" : ""
        try expect(await connection.command("MAIL FROM:<\(message.from.address)>\(sizeParameter)"), 250)
        for recipient in message.to {
            try expect(await connection.command("RCPT TO:<\(recipient.address)>"), 250, 251)
        }
        try expect(await connection.command("DATA"), 354)
        try await connection.write(data)
        let accepted = try await connection.reply()
        try expect(accepted, 250)
        // The message is the server's now; a failing QUIT changes nothing.
        _ = try? await connection.command("QUIT")
        return SMTPReceipt(
            code: accepted.code, reply: accepted.text, messageID: message.messageID, encrypted: encrypted,
            authMechanism: mechanism)
    }

    /// EHLO, falling back to HELO (no extensions) when the server does not know EHLO.
    private func hello(_ connection: SMTPConnection, allowHELO: Bool = true) async throws -> SMTPCapabilities {
        let reply = try await connection.command("EHLO \(configuration.clientName)")
        if reply.code == 250 { return SMTPCapabilities(ehloReply: reply) }
        // 500/502: command not recognised or not implemented; 4xx and other refusals stand.
        guard allowHELO, reply.code == 500 || reply.code == 502 else { throw SMTPError.reply(reply) }
        try expect(await connection.command("HELO \(configuration.clientName)"), 250)
        return .none
    }

    /// Logs in with PLAIN when offered, else LOGIN. The password is never part of an error:
    /// a server echoing what it was sent has it removed from the text kept.
    private func authenticate(
        _ connection: SMTPConnection, capabilities: SMTPCapabilities, username: String, password: String
    ) async throws -> String {
        let offered = capabilities.authMechanisms
        func scrub(_ error: SMTPError) -> SMTPError {
            let secrets = [password, Self.base64(password), Self.base64("\0\(username)\0\(password)")]
            func clean(_ text: String) -> String { secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") } }
            switch error {
            case .transient(let code, let reply): return .transient(code: code, reply: clean(reply))
            case .permanent(let code, let reply): return .permanent(code: code, reply: clean(reply))
            default: return error
            }
        }
        do {
            if offered.contains("PLAIN") {
                try expect(await connection.command("AUTH PLAIN " + Self.base64("\0\(username)\0\(password)")), 235)
                return "PLAIN"
            }
            if offered.contains("LOGIN") {
                try expect(await connection.command("AUTH LOGIN"), 334)
                try expect(await connection.command(Self.base64(username)), 334)
                try expect(await connection.command(Self.base64(password)), 235)
                return "LOGIN"
            }
        } catch let error as SMTPError {
            throw scrub(error)
        }
        if offered.isEmpty {
            throw SMTPError.configuration("a user and password are set but the server offers no AUTH")
        }
        throw SMTPError.configuration(
            "the server offers AUTH \(offered.sorted().joined(separator: " ")); this client speaks PLAIN and LOGIN")
    }

    private func expect(_ reply: SMTPReply, _ codes: Int...) throws {
        guard codes.contains(reply.code) else { throw SMTPError.reply(reply) }
    }

    private func makeTLSContext() throws(SMTPError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .fullVerification
        tls.trustRoots = .default
        if let caFile = configuration.caFile { tls.additionalTrustRoots = [.file(caFile)] }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw .configuration("the TLS settings could not be loaded (\(SMTPConfiguration.caFileVariable) must be a PEM file of CA certificates): \(error)")
        }
    }

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    /// SNI and certificate checks use the host name; an IP address is checked against the
    /// certificate's IP entries instead (SNI may not carry one).
    static func serverNameForTLS(_ host: String) -> String? {
        (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
    }

    /// The SMTPError for a failure below the SMTP dialogue.
    static func classify(_ error: any Error) -> SMTPError {
        switch error {
        case let error as SMTPError: return error
        case let error as NIOSSLError: return .tls(tlsReason(error))
        case let error as NIOSSLExtraError: return .tls(String(describing: error))
        case let error as NIOConnectionError:
            let reasons = (error.connectionErrors.map { String(describing: $0.error) } + [error.dnsAAAAError, error.dnsAError]
                .compactMap { $0.map { String(describing: $0) } })
            return .transient(code: nil, reply: "could not connect to \(error.host):\(error.port): \(reasons.joined(separator: "; "))")
        case ChannelError.connectTimeout(let amount):
            return .transient(code: nil, reply: "could not connect within \(amount.nanoseconds / 1_000_000_000) s")
        default:
            return .transient(code: nil, reply: "connection failed: \(error)")
        }
    }

    private static func tlsReason(_ error: NIOSSLError) -> String {
        let text = String(describing: error)
        if text.contains("CERTIFICATE_VERIFY_FAILED") { return "the server's certificate could not be verified (\(text))" }
        return "the TLS handshake failed (\(text))"
    }
}
