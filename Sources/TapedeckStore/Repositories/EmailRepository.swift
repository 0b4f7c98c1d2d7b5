import Foundation
import SQLKit
import TapedeckCore

/// Where an email is in the outbox.
public enum EmailStatus: String, Sendable, Codable, CaseIterable {
    /// Waiting for its delivery job (first try or a retry after a transient failure).
    case queued
    /// Handed to the mail server; a worker that stopped here may have sent it (see ``EmailRepository``).
    case sending
    case sent
    /// Refused for good (or out of tries); `last_error` holds the server's answer.
    case failed
    /// Recorded but not sent: no mail server is configured.
    case skipped
}

public enum EmailKind: String, Sendable, Codable, CaseIterable {
    /// A recording is ready and its invitee gets their link.
    case invite
    /// Someone asked for a fresh link (`POST /v1/recordings/{id}/access-requests`).
    case accessLink = "access_link"
}

public struct StoredEmail: Sendable, Equatable {
    public var id: UUID
    public var kind: EmailKind
    public var recipient: String
    public var name: String?
    public var subject: String
    /// The bodies as shown in listings: the personal link is left out (it is sealed in
    /// `linkSealed` and put in only when the message is sent).
    public var textBody: String
    public var htmlBody: String
    public var recordingID: UUID?
    public var shareID: UUID?
    public var linkSealed: String?
    /// Stable across retries, so a receiver can recognise a second copy.
    public var messageID: String
    public var status: EmailStatus
    public var attempts: Int
    public var lastError: String?
    public var idempotencyKey: String
    public var createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?
}

public struct NewEmail: Sendable {
    public var kind: EmailKind
    public var recipient: String
    public var name: String?
    public var subject: String
    public var textBody: String
    public var htmlBody: String
    public var recordingID: UUID?
    public var shareID: UUID?
    public var linkSealed: String?
    public var messageIDDomain: String
    public var status: EmailStatus
    public var idempotencyKey: String

    public init(
        kind: EmailKind, recipient: String, name: String?, subject: String, textBody: String, htmlBody: String,
        recordingID: UUID?, shareID: UUID?, linkSealed: String?, messageIDDomain: String, status: EmailStatus,
        idempotencyKey: String
    ) {
        self.kind = kind
        self.recipient = recipient
        self.name = name
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.recordingID = recordingID
        self.shareID = shareID
        self.linkSealed = linkSealed
        self.messageIDDomain = messageIDDomain
        self.status = status
        self.idempotencyKey = idempotencyKey
    }
}

/// The outbox. One row per message; its idempotency key (`invite:<recording>:<email>` for an
/// invitation) makes writing it twice a no-op, so a repeated step never sends a second message.
///
/// Delivery writes `sending` (and counts the attempt) before the message goes to the server, and
/// `sent` when the server accepted it. A worker killed between the two leaves `sending`: the
/// next attempt sends again with the same Message-ID. SMTP has no way to ask a server whether it
/// took a message, so this window (after the server's final 250, before `sent` is written) is
/// the one place a duplicate can come from.
public struct EmailRepository: Sendable {
    let session: CatalogSession

    /// Inserts the email unless one with its idempotency key exists: `(email, true)` when it was
    /// new, `(the existing one, false)` otherwise.
    public func create(_ new: NewEmail) async throws -> (StoredEmail, created: Bool) {
        let id = UUID()
        let now = session.nowMs
        let messageID = "<\(id.uuidString.lowercased())@\(new.messageIDDomain)>"
        let inserted = try await session.sql.raw(
            """
            INSERT INTO emails (id, kind, recipient, name, subject, text_body, html_body, recording_id, share_id,
                link_sealed, message_id, status, attempts, idempotency_key, created_at, updated_at)
            VALUES (\(bind: id), \(bind: new.kind.rawValue), \(bind: new.recipient), \(bind: new.name), \(bind: new.subject),
                \(bind: new.textBody), \(bind: new.htmlBody), \(bind: new.recordingID), \(bind: new.shareID),
                \(bind: new.linkSealed), \(bind: messageID), \(bind: new.status.rawValue), 0, \(bind: new.idempotencyKey),
                \(bind: now), \(bind: now))
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id
            """
        ).all()
        if !inserted.isEmpty, let email = try await find(id: id) { return (email, true) }
        guard let existing = try await find(idempotencyKey: new.idempotencyKey) else {
            throw CatalogDataError(description: "email \(new.idempotencyKey) neither inserted nor found")
        }
        return (existing, false)
    }

    public func exists(idempotencyKey: String) async throws -> Bool {
        try await session.sql.raw("SELECT 1 AS one FROM emails WHERE idempotency_key = \(bind: idempotencyKey)").first() != nil
    }

    public func find(id: UUID) async throws -> StoredEmail? {
        try await session.sql.raw("SELECT * FROM emails WHERE id = \(bind: id)").first().map(Self.decode)
    }

    public func find(idempotencyKey: String) async throws -> StoredEmail? {
        try await session.sql.raw("SELECT * FROM emails WHERE idempotency_key = \(bind: idempotencyKey)").first().map(Self.decode)
    }

    /// Newest first, optionally of one status, strictly before `before` (created_at ms, id).
    public func list(status: EmailStatus?, before: (Int64, UUID)?, limit: Int) async throws -> [StoredEmail] {
        var conditions: [SQLQueryString] = []
        if let status { conditions.append("status = \(bind: status.rawValue)") }
        if let before { conditions.append("(created_at, id) < (\(bind: before.0), \(bind: before.1))") }
        var query: SQLQueryString = "SELECT * FROM emails"
        if !conditions.isEmpty { query += " WHERE " + conditions.joined(separator: " AND ") }
        query += " ORDER BY created_at DESC, id DESC LIMIT \(literal: limit)"
        return try await session.sql.raw(query).all().map(Self.decode)
    }

    /// Counts by status.
    public func counts() async throws -> [EmailStatus: Int] {
        var counts: [EmailStatus: Int] = [:]
        for row in try await session.sql.raw("SELECT status, COUNT(*) AS n FROM emails GROUP BY status").all() {
            if let status = EmailStatus(rawValue: try row.string("status")) { counts[status] = try row.int("n") }
        }
        return counts
    }

    /// Claims the email for one attempt: `queued` or `sending` (a worker stopped mid-attempt)
    /// becomes `sending` with one more attempt. `nil` when it is finished (or gone).
    public func beginAttempt(id: UUID) async throws -> StoredEmail? {
        let rows = try await session.sql.raw(
            """
            UPDATE emails SET status = 'sending', attempts = attempts + 1, updated_at = \(bind: session.nowMs)
            WHERE id = \(bind: id) AND status IN ('queued', 'sending') RETURNING id
            """
        ).all()
        guard !rows.isEmpty else { return nil }
        return try await find(id: id)
    }

    public func markSent(id: UUID) async throws {
        let now = session.nowMs
        try await session.sql.raw(
            """
            UPDATE emails SET status = 'sent', sent_at = \(bind: now), updated_at = \(bind: now), last_error = NULL,
                link_sealed = NULL
            WHERE id = \(bind: id) AND status = 'sending'
            """
        ).run()
    }

    /// A failed attempt: back to `queued` for a retry, or `failed` for good (the sealed link is
    /// dropped then: it will never be sent).
    /// `true` when this call changed it (it was still `queued` or `sending`): of two sweeps
    /// racing on PostgreSQL, the second waits for the first's row lock and then changes nothing.
    @discardableResult
    public func markFailed(id: UUID, error: String, final: Bool) async throws -> Bool {
        let message = String(error.prefix(2000))
        let status = final ? "failed" : "queued"
        let dropLink: SQLQueryString = final ? ", link_sealed = NULL" : ""
        return try await session.sql.raw(
            "UPDATE emails SET status = \(bind: status), last_error = \(bind: message), updated_at = \(bind: session.nowMs)"
                + dropLink + " WHERE id = \(bind: id) AND status IN ('queued', 'sending') RETURNING id"
        ).first() != nil
    }

    static func decode(_ row: any SQLRow) throws -> StoredEmail {
        let kind = try row.string("kind"), status = try row.string("status")
        guard let emailKind = EmailKind(rawValue: kind), let emailStatus = EmailStatus(rawValue: status) else {
            throw CatalogDataError(description: "unknown email kind \(kind) or status \(status)")
        }
        return StoredEmail(
            id: try row.uuid("id"), kind: emailKind, recipient: try row.string("recipient"), name: try row.optionalString("name"),
            subject: try row.string("subject"), textBody: try row.string("text_body"), htmlBody: try row.string("html_body"),
            recordingID: try row.optionalUUID("recording_id"), shareID: try row.optionalUUID("share_id"),
            linkSealed: try row.optionalString("link_sealed"), messageID: try row.string("message_id"), status: emailStatus,
            attempts: try row.int("attempts"), lastError: try row.optionalString("last_error"),
            idempotencyKey: try row.string("idempotency_key"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"), sentAt: try row.optionalDate("sent_at"))
    }
}

/// A row of a viewer's own page: a recording, and whether the viewer may watch it themselves
/// (otherwise they were invited to it by email and open it through a share bound to that address).
public struct ViewerListing: Sendable, Equatable {
    public var recording: Recording
    public var watchable: Bool
}

extension RecordingRepository {
    /// What a viewer's own page lists: what `reach` may watch, and what its `invitedEmail` was
    /// invited to (on the recording or its room) in rooms its token speaks for, newest first,
    /// ready or still being made (never deleted), optionally only those whose room or title
    /// contains `search` (any case). The whole rule is in the statement, so `limit` rows come
    /// back whenever that many exist.
    public func visibleToViewer(_ reach: ViewerReach, search: String?, limit: Int) async throws -> [ViewerListing] {
        var query = Self.selectList + ", CASE WHEN " + reach.watchable + " THEN 1 ELSE 0 END AS watchable"
        query += " FROM recordings r WHERE " + reach.listed
        if let search, !search.isEmpty {
            let pattern = "%" + search.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            query += """
                 AND (LOWER(COALESCE(r.title, '')) LIKE \(bind: pattern) ESCAPE '\\'
                    OR r.room_id IN (SELECT id FROM rooms WHERE LOWER(name) LIKE \(bind: pattern) ESCAPE '\\'))
                """
        }
        query += " ORDER BY r.created_at DESC, r.id DESC LIMIT \(literal: limit)"
        let rows = try await session.sql.raw(query).all()
        let recordings = try rows.map(Self.decode)
        let assets = try await session.assets.list(recordingIDs: recordings.map(\.id))
        return try zip(rows, recordings).map { row, recording in
            var recording = recording
            recording.assets = assets[recording.id] ?? []
            return ViewerListing(recording: recording, watchable: try row.int("watchable") == 1)
        }
    }
}
