import Foundation
import SMTP
import TapedeckCore

/// `TAPEDECK_SMTP_URL` and `TAPEDECK_MAIL_FROM`. Without an SMTP URL, emails are written to the
/// outbox as `skipped` (listed, never sent) and `/readyz` says mail is not configured.
public struct MailSettings: Sendable, Equatable {
    /// `smtp://[user:pass@]host[:port]` (STARTTLS when offered) or `smtps://...` (TLS from the
    /// start); `nil` when mail is off. Holds a password: never logged.
    public var smtpURL: String?
    /// `TAPEDECK_SMTP_CA_FILE`: extra CA certificates (PEM) to trust for the mail server.
    public var caFile: String?
    public var fromAddress: String
    public var fromName: String?

    public init(smtpURL: String? = nil, fromAddress: String = "tapedeck@localhost.localdomain", fromName: String? = "Tapedeck") {
        self.smtpURL = smtpURL
        self.fromAddress = fromAddress
        self.fromName = fromName
    }

    /// The domain of the sender's address: what Message-IDs end with.
    public var messageIDDomain: String { fromAddress.split(separator: "@").last.map(String.init) ?? "localhost" }

    static package func parse(_ values: SettingValues, publicURL: String) throws(SettingsError) -> MailSettings {
        var settings = MailSettings()
        if let url = values.string("TAPEDECK_SMTP_URL") {
            guard let parts = URLComponents(string: url), ["smtp", "smtps"].contains(parts.scheme?.lowercased() ?? ""),
                let host = parts.host, !host.isEmpty
            else {
                throw SettingsError("TAPEDECK_SMTP_URL", "must be smtp://[user:password@]host[:port] or smtps://...")
            }
            settings.smtpURL = url
            settings.caFile = values.string("TAPEDECK_SMTP_CA_FILE")
            do {
                _ = try SMTPConfiguration(url: url, caFile: settings.caFile)
            } catch {
                // The client's errors never repeat the password.
                throw SettingsError("TAPEDECK_SMTP_URL", error.description)
            }
        }
        let host = URLComponents(string: publicURL)?.host ?? "localhost"
        let from = values.string("TAPEDECK_MAIL_FROM") ?? "Tapedeck <tapedeck@\(host.contains(".") ? host : host + ".localdomain")>"
        guard let parsed = parseFrom(from) else {
            throw SettingsError("TAPEDECK_MAIL_FROM", "must be an address (name@example.com) or Name <name@example.com>")
        }
        (settings.fromName, settings.fromAddress) = parsed
        if settings.smtpURL != nil, values.string("TAPEDECK_MAIL_FROM") == nil {
            throw SettingsError("TAPEDECK_MAIL_FROM", "must be set when TAPEDECK_SMTP_URL is (the sender of every email)")
        }
        return settings
    }

    /// The mail server's settings, `nil` when mail is off.
    package func smtpConfiguration() throws -> SMTPConfiguration? {
        guard let smtpURL else { return nil }
        return try SMTPConfiguration(url: smtpURL, caFile: caFile)
    }

    /// `addr` or `Name <addr>`; the name plain text, the address one Tapedeck accepts.
    static package func parseFrom(_ raw: String) -> (String?, String)? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text.hasSuffix(">"), let open = text.lastIndex(of: "<") {
            let address = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            let name = text[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard EmailAddress.problem(address) == nil, !PlainText.hasControlCharacters(name), name.count <= 100,
                !name.contains("\"")
            else { return nil }
            return (name.isEmpty ? nil : name, address)
        }
        guard EmailAddress.problem(text) == nil else { return nil }
        return (nil, text)
    }
}
