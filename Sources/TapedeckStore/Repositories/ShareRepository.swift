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

    public init(
        recordingID: UUID, tokenHash: String, email: String?, passcodeHash: String?, allowDownload: Bool,
        expiresAt: Date, createdBy: String
    ) {
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
                created_by, created_at)
            VALUES (\(bind: id), \(bind: new.recordingID), \(bind: new.tokenHash), \(bind: new.email),
                \(bind: new.passcodeHash), \(bind: new.allowDownload), \(bind: new.expiresAt.millisecondsSince1970),
                \(bind: new.createdBy), \(bind: session.nowMs))
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

    public func countView(id: UUID) async throws {
        try await session.sql.raw("UPDATE shares SET views = views + 1 WHERE id = \(bind: id)").run()
    }

    static func decode(_ row: any SQLRow) throws -> Share {
        Share(
            id: try row.uuid("id"), recordingID: try row.uuid("recording_id"), email: try row.optionalString("email"),
            passcodeHash: try row.optionalString("passcode_hash"), allowDownload: try row.bool("allow_download"),
            expiresAt: try row.date("expires_at"), revokedAt: try row.optionalDate("revoked_at"),
            createdBy: try row.string("created_by"), views: try row.int64("views"), createdAt: try row.date("created_at"))
    }
}
