import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// Sends one email of the outbox.
///
/// The attempt is written (`sending`, one more attempt) before the message goes out, and `sent`
/// as soon as the server accepted it. A transient failure (4xx, connection) puts it back to
/// `queued` and the job retries with the queue's backoff; a permanent one (5xx) or the last
/// attempt ends it `failed` with the server's answer. A worker killed mid-attempt leaves
/// `sending`; the job's lease runs out, the next attempt sends it again under the same
/// Message-ID (see ``EmailRepository`` for the one window in which that is a duplicate).
package struct EmailDeliveryJob: JobHandler {
    static package let kind = "emails.deliver"
    static package let maxAttempts = 8
    package var kind: String { Self.kind }
    package let catalog: Catalog
    package let outbox: MailOutbox

    package struct Payload: Codable, Sendable {
        package var emailID: UUID
        package enum CodingKeys: String, CodingKey { case emailID = "email_id" }
    }

    static package func newJob(emailID: UUID) throws -> NewJob {
        try NewJob(
            kind: kind, payload: Payload(emailID: emailID), idempotencyKey: "\(kind):\(emailID.uuidString.lowercased())",
            maxAttempts: maxAttempts)
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let id = try job.decodedPayload(as: Payload.self).emailID
        guard let transport = outbox.transport else {
            // Mail was switched off after this was queued: it stays listed, unsent.
            try await catalog.pool.emails.markFailed(id: id, error: "no SMTP server is configured", final: true)
            return
        }
        guard let email = try await catalog.pool.emails.beginAttempt(id: id) else { return }
        guard let sealed = email.linkSealed, let token = try? outbox.sealing.open(sealed),
            let recordingID = email.recordingID, let recording = try await catalog.pool.recordings.find(id: recordingID),
            recording.status != .deleted, let shareID = email.shareID, let share = try await catalog.pool.shares.find(id: shareID),
            share.isUsable(at: catalog.clock.now())
        else {
            let reason = "the link can no longer be sent (its recording or share is gone, or the sealing key changed)"
            try await catalog.pool.emails.markFailed(id: id, error: reason, final: true)
            throw JobOutcome.permanentFailure(reason)
        }
        let body = MailTemplates.render(
            email.kind, recording: recording, recipientName: email.name, recipientEmail: email.recipient,
            link: outbox.link(token: token), expiresAt: share.expiresAt)
        let mail = OutgoingMail(
            fromAddress: outbox.settings.fromAddress, fromName: outbox.settings.fromName, toAddress: email.recipient,
            toName: email.name.map(MailTemplates.oneLine), subject: email.subject, textBody: body.text, htmlBody: body.html,
            messageID: email.messageID, listUnsubscribe: outbox.listUnsubscribe, date: email.createdAt)
        do {
            try await transport.send(mail)
        } catch {
            let permanent: Bool
            let answer: String
            if case MailTransportError.permanent(let text) = error {
                (permanent, answer) = (true, text)
            } else {
                (permanent, answer) = (false, String(describing: error))
            }
            let final = permanent || job.attempts >= job.maxAttempts
            try await catalog.pool.emails.markFailed(id: id, error: answer, final: final)
            logger.notice(
                "email not sent", metadata: ["email_id": "\(id)", "answer": "\(answer)", "final": "\(final)"])
            if final {
                try await catalog.pool.events.append(
                    NewAuditEvent(
                        recordingID: recording.id, sessionID: recording.sessionID, type: "email.failed", actor: "system",
                        data: ["email_id": id.uuidString.lowercased(), "email": email.recipient, "answer": answer]))
                throw JobOutcome.permanentFailure(answer)
            }
            throw error
        }
        try await catalog.transaction { tx in
            try await tx.emails.markSent(id: id)
            try await tx.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: recording.sessionID,
                    type: email.kind == .invite ? "invite.sent" : "access_link.sent", actor: "system",
                    data: [
                        "email_id": id.uuidString.lowercased(), "email": email.recipient,
                        "share_id": shareID.uuidString.lowercased(), "message_id": email.messageID,
                    ]))
        }
    }
}
