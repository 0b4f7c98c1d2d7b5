import Foundation

/// One message as the outbox hands it to a mail server.
package struct OutgoingMail: Sendable, Equatable {
    package var fromAddress: String
    package var fromName: String?
    package var toAddress: String
    package var toName: String?
    package var subject: String
    package var textBody: String
    package var htmlBody: String
    /// `<id@domain>`, the same on every attempt of one email.
    package var messageID: String
    /// The `List-Unsubscribe` URL for notification mail (`mailto:...` or `https://...`, without brackets).
    package var listUnsubscribe: String?
    package var date: Date

    package init(
        fromAddress: String, fromName: String?, toAddress: String, toName: String?, subject: String, textBody: String,
        htmlBody: String, messageID: String, listUnsubscribe: String?, date: Date
    ) {
        self.fromAddress = fromAddress
        self.fromName = fromName
        self.toAddress = toAddress
        self.toName = toName
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.messageID = messageID
        self.listUnsubscribe = listUnsubscribe
        self.date = date
    }
}

/// Why a message was not sent.
package enum MailTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Worth another try later: a 4xx answer, a refused or dropped connection, a timeout.
    case transient(String)
    /// Another try would get the same answer: a 5xx, a certificate that does not verify, a
    /// message the client cannot express.
    case permanent(String)

    package var description: String {
        switch self {
        case .transient(let answer), .permanent(let answer): answer
        }
    }
}

/// What sends the outbox's messages (SMTP in production, a fake in tests).
package protocol MailTransport: Sendable {
    /// Returns when the server accepted the message; throws ``MailTransportError`` (any other
    /// error counts as transient).
    func send(_ mail: OutgoingMail) async throws
    /// Shuts its connections down.
    func shutdown() async
}

package extension MailTransport {
    func shutdown() async {}
}
