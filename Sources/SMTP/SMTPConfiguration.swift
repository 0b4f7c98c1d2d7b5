import Foundation

/// Where and how to deliver mail, parsed from `TAPEDECK_SMTP_URL`:
///
/// - `smtps://user:pass@host:465`: TLS from the first byte (implicit TLS, RFC 8314).
/// - `smtp://user:pass@host:587`: STARTTLS, required: the client refuses to go on in clear when
///   the server does not offer it.
/// - `smtp://host:25?starttls=off`: no encryption at all, for a relay on loopback only.
///
/// The user and password are percent-decoded. The server's certificate is verified against the
/// system's trust roots, plus the certificates of `caFile` when given (`TAPEDECK_SMTP_CA_FILE`,
/// for a relay with its own CA).
public struct SMTPConfiguration: Sendable, CustomStringConvertible {
    public enum Security: String, Sendable {
        /// TLS from the start (`smtps://`, port 465 by default).
        case implicitTLS
        /// Plain connection upgraded with STARTTLS, required (`smtp://`, port 587 by default).
        case startTLS
        /// No encryption (`smtp://...?starttls=off`, port 25 by default).
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// A PEM file of extra CA certificates to trust besides the system's.
    public var caFile: String?
    /// The name this client gives in EHLO/HELO.
    public var clientName: String
    public var connectTimeout: Duration = .seconds(10)
    /// How long to wait for each reply of the server.
    public var replyTimeout: Duration = .seconds(60)
    /// How long one message may take from connecting to the final reply.
    public var messageTimeout: Duration = .seconds(180)

    /// The environment variables read by ``init(environment:)``.
    public static let urlVariable = "TAPEDECK_SMTP_URL"
    public static let caFileVariable = "TAPEDECK_SMTP_CA_FILE"

    /// Parses an SMTP URL. Errors name the part that is wrong and never repeat the password.
    public init(url: String, caFile: String? = nil) throws(SMTPError) {
        func invalid(_ reason: String) -> SMTPError { .configuration("\(Self.urlVariable): \(reason)") }
        guard let components = URLComponents(string: url.trimmingCharacters(in: .whitespaces)), let scheme = components.scheme
        else {
            throw invalid("not a URL of the form smtp://user:password@host:port or smtps://user:password@host:port (percent-encode special characters in the user and password)")
        }
        var security: Security
        switch scheme.lowercased() {
        case "smtps": security = .implicitTLS
        case "smtp": security = .startTLS
        default: throw invalid("the scheme must be smtp or smtps, not \"\(SMTPReplyParser.printable(scheme))\"")
        }
        guard var host = components.host, !host.isEmpty else { throw invalid("the host is missing") }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard host.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value != 0x7F }) else {
            throw invalid("the host must be an ASCII host name or address")
        }
        guard components.path.isEmpty || components.path == "/" else { throw invalid("a path is not allowed") }
        for item in components.queryItems ?? [] {
            switch (item.name.lowercased(), item.value?.lowercased()) {
            case ("starttls", "off"):
                guard security == .startTLS else { throw invalid("starttls=off only applies to smtp://") }
                security = .none
            case ("starttls", "required"), ("starttls", "on"):
                guard security == .startTLS else { throw invalid("starttls applies to smtp:// only") }
            case ("starttls", _):
                throw invalid("starttls must be off or required")
            default:
                throw invalid("unknown parameter \"\(SMTPReplyParser.printable(item.name))\" (only starttls=off is understood)")
            }
        }
        let port = components.port ?? (security == .implicitTLS ? 465 : security == .startTLS ? 587 : 25)
        guard (1...65535).contains(port) else { throw invalid("the port must be between 1 and 65535") }
        let username = components.percentEncodedUser.map { $0.removingPercentEncoding }
        let password = components.percentEncodedPassword.map { $0.removingPercentEncoding }
        if username == .some(nil) { throw invalid("the user is not valid percent-encoding") }
        if password == .some(nil) { throw invalid("the password is not valid percent-encoding") }
        let user = username.flatMap { $0 }.flatMap { $0.isEmpty ? nil : $0 }
        let secret = password.flatMap { $0 }.flatMap { $0.isEmpty ? nil : $0 }
        if secret != nil, user == nil { throw invalid("a password is given without a user") }
        if user != nil, secret == nil { throw invalid("the user has no password") }
        for value in [user, secret].compactMap({ $0 }) where value.contains("\0") {
            throw invalid("the user and password may not contain NUL")
        }
        if let caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw .configuration("\(Self.caFileVariable): \(caFile) is not a readable file")
            }
        }
        self.host = host
        self.port = port
        self.security = security
        self.username = user
        self.password = secret
        self.caFile = caFile
        self.clientName = Self.defaultClientName()
    }

    /// The settings from `TAPEDECK_SMTP_URL` and `TAPEDECK_SMTP_CA_FILE`; nil when no URL is set.
    public init?(environment: [String: String]) throws(SMTPError) {
        guard let url = environment[Self.urlVariable], !url.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let caFile = environment[Self.caFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        try self.init(url: url, caFile: caFile)
    }

    /// Settings as they may be logged: the password is never shown.
    public var description: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let credentials = username.map { "\($0):***@" } ?? ""
        let query = security == .none ? "?starttls=off" : ""
        return "\(scheme)://\(credentials)\(host.contains(":") ? "[\(host)]" : host):\(port)\(query)"
    }

    /// The machine's name when it looks like a domain, else `localhost` (EHLO needs a name or an
    /// address literal, and many hosts have a bare name that relays reject).
    static func defaultClientName() -> String {
        let name = ProcessInfo.processInfo.hostName
        let valid = name.contains(".") && name.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == ".")
        }
        return valid ? name : "localhost"
    }
}
