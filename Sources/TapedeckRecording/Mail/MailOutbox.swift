import Foundation
import TapedeckCore
import TapedeckStore

/// Writes personal-link emails into the outbox: the share the link opens, the email row and its
/// delivery job, all in the caller's transaction, so neither a link without its email nor an
/// email without its job can be left behind.
package struct MailOutbox: Sendable {
    package var settings: MailSettings
    /// `nil` when no mail server is configured: emails are recorded as `skipped`.
    package var transport: (any MailTransport)?
    /// Seals the link (the share's only secret) while it waits in the outbox.
    package var sealing: WebhookSecretBox
    package var publicURL: String

    package init(settings: MailSettings, transport: (any MailTransport)?, sealing: WebhookSecretBox, publicURL: String) {
        self.settings = settings
        self.transport = transport
        self.sealing = sealing
        self.publicURL = publicURL
    }

    /// Whether emails are sent at all.
    package var isConfigured: Bool { transport != nil }

    /// Queues one email with a personal link to `recording` for `email`, unless an email with
    /// `idempotencyKey` exists (then nothing is written and `false` returned; when another
    /// transaction wrote it meanwhile, ``AlreadyQueued`` is thrown so that this one rolls back). The share is
    /// bound to the address (``Share/linkIsCredential``) and lasts `lifetime` seconds.
    @discardableResult
    package func queueLink(
        _ tx: CatalogSession, kind: EmailKind, recording: Recording, email: String, name: String?, lifetime: Int,
        idempotencyKey: String, actor: String
    ) async throws -> Bool {
        let address = EmailAddress.normalize(email)
        guard try await !tx.emails.exists(idempotencyKey: idempotencyKey) else { return false }
        let token = ShareToken.generate()
        let now = tx.clock.now()
        let expiresAt = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(lifetime)).rounded(.down))
        let share = try await tx.shares.create(
            NewShare(
                recordingID: recording.id, tokenHash: ShareToken.hash(token), email: address, passcodeHash: nil,
                allowDownload: false, expiresAt: expiresAt, createdBy: actor, linkIsCredential: true))
        let shown = MailTemplates.render(
            kind, recording: recording, recipientName: name, recipientEmail: address, link: MailTemplates.linkPlaceholder,
            expiresAt: expiresAt)
        let status: EmailStatus = isConfigured ? .queued : .skipped
        let (stored, created) = try await tx.emails.create(
            NewEmail(
                kind: kind, recipient: address, name: name, subject: shown.subject, textBody: shown.text, htmlBody: shown.html,
                recordingID: recording.id, shareID: share.id, linkSealed: isConfigured ? try sealing.seal(token) : nil,
                messageIDDomain: settings.messageIDDomain, status: status, idempotencyKey: idempotencyKey))
        // Another run wrote it between the check and here (PostgreSQL's concurrent workers): undo
        // this one's share with the transaction.
        guard created else { throw AlreadyQueued() }
        try await tx.events.append(
            NewAuditEvent(
                recordingID: recording.id, sessionID: recording.sessionID, type: "share.created", actor: actor,
                data: [
                    "share_id": share.id.uuidString.lowercased(), "expires_at": share.expiresAt.rfc3339, "email": address,
                    "email_id": stored.id.uuidString.lowercased(),
                ]))
        if isConfigured {
            try await tx.jobs.enqueue(try EmailDeliveryJob.newJob(emailID: stored.id))
        } else {
            try await tx.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: recording.sessionID, type: "email.skipped", actor: "system",
                    data: ["email_id": stored.id.uuidString.lowercased(), "email": address, "reason": "no SMTP server is configured"]))
        }
        return true
    }

    /// Writes one link email in a transaction of its own; `false` when it was already there.
    package func queueLinkInTransaction(
        _ catalog: Catalog, kind: EmailKind, recording: Recording, email: String, name: String?, lifetime: Int,
        idempotencyKey: String, actor: String
    ) async throws -> Bool {
        do {
            return try await catalog.transaction { tx in
                try await queueLink(
                    tx, kind: kind, recording: recording, email: email, name: name, lifetime: lifetime,
                    idempotencyKey: idempotencyKey, actor: actor)
            }
        } catch is AlreadyQueued {
            return false
        }
    }

    package struct AlreadyQueued: Error {}

    /// The link a share token opens.
    package func link(token: String) -> String { publicURL + "/s/" + token }

    /// `List-Unsubscribe` of notification mail: a message to the sender asking to be taken off.
    package var listUnsubscribe: String { "mailto:\(settings.fromAddress)?subject=unsubscribe" }
}
