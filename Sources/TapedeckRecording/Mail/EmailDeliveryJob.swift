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
/// Message-ID (see ``EmailRepository`` for the one window in which that is a duplicate). When
/// that was the last attempt the queue gives the job up instead, and ``failAbandoned(catalog:logger:)``
/// (a periodic task) ends the email `failed` with ``abandonedReason``.
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

    /// Why an email whose worker was killed during its last attempt ends `failed`.
    static package let abandonedReason =
        "the worker stopped during the last attempt to send it (the mail server may or may not have accepted it); not retried"
    /// Why an email whose last attempt was claimed by a worker killed before it began ends `failed`.
    static package let abandonedBeforeSendingReason =
        "the worker stopped before the last attempt to send it began; not sent, not retried"

    /// Emails whose delivery job is over while they are not: left `sending` (the worker was
    /// killed during the last attempt and the queue gave the job up when its lease ran out) or
    /// `queued` (killed after claiming the last attempt, before writing it) end `failed` with
    /// ``abandonedReason`` or ``abandonedBeforeSendingReason``, and `email.failed` in the audit
    /// log: nothing else would ever finish them. Those whose job is still queued or running are
    /// left to it. The event is written only by the sweep that changed the email, so sweeps of
    /// several workers at once write it once. Returns how many it ended.
    @discardableResult
    static package func failAbandoned(catalog: Catalog, logger: Logger) async throws -> Int {
        var failed = 0
        for status in [EmailStatus.sending, .queued] {
            for email in try await catalog.pool.emails.list(status: status, before: nil, limit: 500) {
                let job = try await catalog.pool.jobs.find(idempotencyKey: "\(kind):\(email.id.uuidString.lowercased())")
                // A queued email is always queued with its job, so one without a job is not
                // abandoned (yet): only a dead job says nothing will send it.
                let over = job?.state == .dead || job?.state == .done || (status == .sending && job == nil)
                guard over else { continue }
                let reason = status == .sending ? abandonedReason : abandonedBeforeSendingReason
                let changed = try await catalog.transaction { tx -> Bool in
                    guard try await tx.emails.markFailed(id: email.id, error: reason, final: true) else { return false }
                    if let recordingID = email.recordingID {
                        try await tx.events.append(
                            NewAuditEvent(
                                recordingID: recordingID, type: "email.failed", actor: "system",
                                data: ["email_id": email.id.uuidString.lowercased(), "email": email.recipient, "answer": reason]))
                    }
                    return true
                }
                if changed {
                    failed += 1
                    logger.notice("email abandoned by a stopped worker marked failed", metadata: ["email_id": "\(email.id)"])
                }
            }
        }
        return failed
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
