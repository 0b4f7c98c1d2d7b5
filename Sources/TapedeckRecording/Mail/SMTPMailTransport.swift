import Foundation
import NIOCore
import SMTP

/// The outbox's messages over SMTP (`TAPEDECK_SMTP_URL`): each ``OutgoingMail`` becomes one
/// ``MailMessage`` with the outbox's stable Message-ID, and the client's errors are sorted into
/// retry-later (4xx, connection failures, timeouts) and give-up (5xx, TLS verification, settings).
package struct SMTPMailTransport: MailTransport {
    let client: SMTPClient

    package init(configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup) {
        client = SMTPClient(configuration: configuration, eventLoopGroup: eventLoopGroup)
    }

    package func send(_ mail: OutgoingMail) async throws {
        let message: MailMessage
        do {
            message = try Self.message(mail)
        } catch {
            throw MailTransportError.permanent("the message cannot be written: \(error)")
        }
        do {
            _ = try await client.send(message)
        } catch {
            throw error.isRetryable ? MailTransportError.transient(error.description) : MailTransportError.permanent(error.description)
        }
    }

    static package func message(_ mail: OutgoingMail) throws(MailFormatError) -> MailMessage {
        let domain = mail.messageID.split(separator: "@").last.map { String($0.dropLast()) }
        return try MailMessage(
            from: try MailAddress(address: mail.fromAddress, displayName: mail.fromName),
            to: [try MailAddress(address: mail.toAddress, displayName: mail.toName)], subject: mail.subject,
            textBody: mail.textBody, htmlBody: mail.htmlBody, listUnsubscribe: mail.listUnsubscribe, date: mail.date,
            messageIDDomain: domain, messageID: mail.messageID)
    }
}
