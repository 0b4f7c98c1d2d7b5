import Foundation
import SQLKit
import TapedeckCore

public struct NewShare: Sendable {
    public var recordingID: UUID
    public var tokenHash: String
    public var email: String?
    public var passcodeHash: String?
    public var allowDownload: Bool
    public var expiresAt: Date
    public var createdBy: String
    /// See ``Share/linkIsCredential``.
    public var linkIsCredential: Bool

    public init(
        recordingID: UUID, tokenHash: String, email: String?, passcodeHash: String?, allowDownload: Bool,
        expiresAt: Date, createdBy: String, linkIsCredential: Bool = false
    ) {
        self.linkIsCredential = linkIsCredential
        self.recordingID = recordingID
        self.tokenHash = tokenHash
        self.email = email
        self.passcodeHash = passcodeHash
        self.allowDownload = allowDownload
        self.expiresAt = expiresAt
        self.createdBy = createdBy
    }
}

public struct ShareRepository: Sendable {
    let session: CatalogSession

    public func create(_ new: NewShare) async throws -> Share {
        let id = UUID()
        try await session.sql.raw(
            """
            INSERT INTO shares (id, recording_id, token_hash, email, passcode_hash, allow_download, expires_at,
                created_by, created_at, link_is_credential)
            VALUES (\(bind: id), \(bind: new.recordingID), \(bind: new.tokenHash), \(bind: new.email),
                \(bind: new.passcodeHash), \(bind: new.allowDownload), \(bind: new.expiresAt.millisecondsSince1970),
                \(bind: new.createdBy), \(bind: session.nowMs), \(bind: new.linkIsCredential))
            """
        ).run()
        guard let share = try await find(id: id) else { throw CatalogDataError(description: "share \(id) vanished after insert") }
        return share
    }

    public func find(id: UUID) async throws -> Share? {
        try await session.sql.raw("SELECT * FROM shares WHERE id = \(bind: id)").first().map(Self.decode)
    }

    public func find(tokenHash: String) async throws -> Share? {
        try await session.sql.raw("SELECT * FROM shares WHERE token_hash = \(bind: tokenHash)").first().map(Self.decode)
    }

    public func list(recordingID: UUID) async throws -> [Share] {
        try await session.sql.raw(
            "SELECT * FROM shares WHERE recording_id = \(bind: recordingID) ORDER BY created_at DESC, id"
        ).all().map(Self.decode)
    }

    /// Revokes at once; revoking again keeps the first time. `false` when there is no such share.
    public func revoke(id: UUID) async throws -> Bool {
        !(try await session.sql.raw(
            "UPDATE shares SET revoked_at = COALESCE(revoked_at, \(bind: session.nowMs)) WHERE id = \(bind: id) RETURNING id"
        ).all()).isEmpty
    }

    /// Shares revoked before they expired and not expired yet: the ones whose signed URLs must
    /// be refused even though their signatures still check out.
    public func revokedUnexpired(now: Date) async throws -> [UUID] {
        try await session.sql.raw(
            "SELECT id FROM shares WHERE revoked_at IS NOT NULL AND expires_at > \(bind: now.millisecondsSince1970)"
        ).all().map { try $0.uuid("id") }
    }

    /// A passcode try reserved on the share's row before the passcode is read.
    public struct PasscodeAttempt: Sendable, Equatable {
        /// When the current window began (ms since 1970).
        public var windowStartedAt: Int64
        /// Tries reserved in this window, this one included.
        public var number: Int
    }

    /// Reserves one passcode try in the share's current window (a new window when the last one
    /// is over), in one statement, so concurrent requests, in this process or another on the
    /// same database, each get a distinct number. `nil` when there is no such share.
    public func reservePasscodeAttempt(id: UUID, windowMs: Int64) async throws -> PasscodeAttempt? {
        let now = session.nowMs
        // SET expressions read the row as it was before this update, on SQLite and PostgreSQL alike.
        let row = try await session.sql.raw(
            """
            UPDATE shares SET
                passcode_window_started_at = CASE
                    WHEN passcode_window_started_at IS NULL OR passcode_window_started_at <= \(bind: now - windowMs)
                    THEN \(bind: now) ELSE passcode_window_started_at END,
                passcode_attempts = CASE
                    WHEN passcode_window_started_at IS NULL OR passcode_window_started_at <= \(bind: now - windowMs)
                    THEN 1 ELSE passcode_attempts + 1 END
            WHERE id = \(bind: id)
            RETURNING passcode_window_started_at, passcode_attempts
            """
        ).first()
        guard let row else { return nil }
        return PasscodeAttempt(
            windowStartedAt: try row.decode(column: "passcode_window_started_at", as: Int64.self),
            number: try row.decode(column: "passcode_attempts", as: Int.self))
    }

    /// Gives back a reserved try that was not a wrong guess (right passcode, or none sent), if
    /// its window is still the current one.
    public func refundPasscodeAttempt(id: UUID, _ attempt: PasscodeAttempt) async throws {
        try await session.sql.raw(
            """
            UPDATE shares SET passcode_attempts = passcode_attempts - 1
            WHERE id = \(bind: id) AND passcode_window_started_at = \(bind: attempt.windowStartedAt) AND passcode_attempts > 0
            """
        ).run()
    }

    /// Replaces the stored passcode hash (a stronger one for the same passcode), unless it changed meanwhile.
    public func replacePasscodeHash(id: UUID, from old: String, to new: String) async throws {
        try await session.sql.raw(
            "UPDATE shares SET passcode_hash = \(bind: new) WHERE id = \(bind: id) AND passcode_hash = \(bind: old)"
        ).run()
    }

    public func countView(id: UUID) async throws {
        try await session.sql.raw("UPDATE shares SET views = views + 1 WHERE id = \(bind: id)").run()
    }

    static func decode(_ row: any SQLRow) throws -> Share {
        var share = Share(
            id: try row.uuid("id"), recordingID: try row.uuid("recording_id"), email: try row.optionalString("email"),
            passcodeHash: try row.optionalString("passcode_hash"), allowDownload: try row.bool("allow_download"),
            expiresAt: try row.date("expires_at"), revokedAt: try row.optionalDate("revoked_at"),
            createdBy: try row.string("created_by"), views: try row.int64("views"), createdAt: try row.date("created_at"))
        share.linkIsCredential = try row.bool("link_is_credential")
        return share
    }
}
