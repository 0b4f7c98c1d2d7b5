import Foundation
import SQLKit
import TapedeckCore

public struct APIKeyRepository: Sendable {
    let session: CatalogSession

    /// `last_used_at` is refreshed at most this often, so authenticating is not a write per request.
    static let lastUsedResolutionMs: Int64 = 60_000

    /// Creates a key; the returned credential is the only time its secret exists outside the caller.
    public func create(name: String, organizationID: UUID? = nil) async throws -> (APIKey, APIKeyCredential) {
        let credential = APIKeyCredential.generate()
        let id = UUID()
        try await session.sql.raw(
            """
            INSERT INTO api_keys (id, name, lookup, hash, created_at, organization_id)
            VALUES (\(bind: id), \(bind: name), \(bind: credential.lookup), \(bind: credential.secretHash),
                \(bind: session.nowMs), \(bind: organizationID))
            """
        ).run()
        return (try await find(id: id)!, credential)
    }

    public func find(id: UUID) async throws -> APIKey? {
        try await session.sql.raw("SELECT * FROM api_keys WHERE id = \(bind: id)").first().map(Self.decode)
    }

    public func list() async throws -> [APIKey] {
        try await session.sql.raw("SELECT * FROM api_keys ORDER BY created_at, id").all().map(Self.decode)
    }

    /// The keys limited to one organization.
    public func list(organizationID: UUID) async throws -> [APIKey] {
        try await session.sql.raw(
            "SELECT * FROM api_keys WHERE organization_id = \(bind: organizationID) ORDER BY created_at, id"
        ).all().map(Self.decode)
    }

    /// Revokes every active key of an organization (it is being deleted).
    public func revokeAll(organizationID: UUID) async throws {
        try await session.sql.raw(
            "UPDATE api_keys SET revoked_at = \(bind: session.nowMs) WHERE organization_id = \(bind: organizationID) AND revoked_at IS NULL"
        ).run()
    }

    /// Revokes a key; `false` when there is no such key. Revoking twice keeps the first time.
    public func revoke(id: UUID) async throws -> Bool {
        let rows = try await session.sql.raw(
            """
            UPDATE api_keys SET revoked_at = COALESCE(revoked_at, \(bind: session.nowMs))
            WHERE id = \(bind: id) RETURNING id
            """
        ).all()
        return !rows.isEmpty
    }

    /// The active key this credential belongs to, or `nil` (unknown, wrong secret, revoked).
    public func authenticate(_ credential: APIKeyCredential) async throws -> APIKey? {
        guard let key = try await session.sql.raw(
            "SELECT * FROM api_keys WHERE lookup = \(bind: credential.lookup)"
        ).first().map(Self.decode) else { return nil }
        guard credential.matches(storedHash: key.secretHash), key.revokedAt == nil else { return nil }
        let now = session.nowMs
        if (key.lastUsedAt?.millisecondsSince1970 ?? 0) < now - Self.lastUsedResolutionMs {
            try await session.sql.raw(
                "UPDATE api_keys SET last_used_at = \(bind: now) WHERE id = \(bind: key.id)"
            ).run()
        }
        return key
    }

    /// The keys with these ids that still exist (revoked ones among them), in no order.
    public func find(ids: [UUID]) async throws -> [APIKey] {
        guard !ids.isEmpty else { return [] }
        return try await session.sql.raw("SELECT * FROM api_keys WHERE id IN (\(binds: ids))").all().map(Self.decode)
    }

    /// Records that these keys were used now, for those whose `last_used_at` is older than its
    /// resolution (one statement, however many keys).
    public func noteUsed(ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        let now = session.nowMs
        try await session.sql.raw(
            """
            UPDATE api_keys SET last_used_at = \(bind: now) WHERE id IN (\(binds: ids))
                AND (last_used_at IS NULL OR last_used_at < \(bind: now - Self.lastUsedResolutionMs))
            """
        ).run()
    }

    static func decode(_ row: any SQLRow) throws -> APIKey {
        var key = APIKey(
            id: try row.uuid("id"), name: try row.string("name"), lookup: try row.string("lookup"),
            secretHash: try row.string("hash"), createdAt: try row.date("created_at"),
            lastUsedAt: try row.optionalDate("last_used_at"), revokedAt: try row.optionalDate("revoked_at"))
        key.organizationID = row.contains(column: "organization_id") ? try row.optionalUUID("organization_id") : nil
        return key
    }
}
