/// Why a message was not sent. The split a delivery queue needs: `transient` is worth retrying
/// later (a 4xx answer, a refused or dropped connection, a timeout), `permanent` is not (a 5xx
/// answer: the server's text is kept so an operator can see why), `tls` means the server could
/// not be verified or would not encrypt (the client never falls back to sending in clear), and
/// `configuration` means the settings themselves are wrong. No case ever carries the password.
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A 4xx reply (`code` set), or a connection failure or timeout (`code` nil).
    case transient(code: Int?, reply: String)
    /// A 5xx reply (`code` set), or a message the server declared it cannot take (`code` nil).
    case permanent(code: Int?, reply: String)
    /// Certificate verification failed, the handshake failed, or STARTTLS was required and not offered.
    case tls(String)
    /// The settings are unusable (bad URL, unreadable CA file, no usable AUTH mechanism).
    case configuration(String)

    /// Whether sending the same message later may succeed.
    public var isRetryable: Bool {
        if case .transient = self { return true }
        return false
    }

    /// The server's reply code, when the error is a reply.
    public var code: Int? {
        switch self {
        case .transient(let code, _), .permanent(let code, _): code
        case .tls, .configuration: nil
        }
    }

    public var description: String {
        switch self {
        case .transient(let code, let reply): "temporary SMTP failure" + (code.map { " \($0)" } ?? "") + ": \(reply)"
        case .permanent(let code, let reply): "permanent SMTP failure" + (code.map { " \($0)" } ?? "") + ": \(reply)"
        case .tls(let reason): "SMTP TLS failure: \(reason)"
        case .configuration(let reason): "SMTP configuration error: \(reason)"
        }
    }

    /// The error a server's reply stands for (4xx transient, anything else permanent).
    static func reply(_ reply: SMTPReply) -> SMTPError {
        if (400..<500).contains(reply.code) { return .transient(code: reply.code, reply: reply.text) }
        return .permanent(code: reply.code, reply: reply.text)
    }
}
