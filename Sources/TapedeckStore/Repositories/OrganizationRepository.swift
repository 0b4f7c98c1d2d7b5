import Foundation
import SQLKit
import TapedeckCore

/// One of an organization's viewer-token secrets, sealed; `kid` is what tokens name it by.
public struct OrganizationViewerSecret: Sendable, Equatable {
    public var kid: String
    public var organizationID: UUID
    public var secretSealed: String
    public var createdAt: Date
    /// After this a token signed with it is refused; `nil` while it is the current one.
    public var expiresAt: Date?

    public func isAccepted(at now: Date) -> Bool { expiresAt.map { $0 > now } ?? true }
}

/// What changes on an organization; `nil` members stay as they are.
public struct OrganizationChanges: Sendable, Equatable {
    public var name: String?
    public var accessRule: OrganizationAccessRule?
    public var allowGlobalViewerSecret: Bool?
    /// `.some(nil)` clears the organization's retention (the global default applies again).
    public var retainDays: Int??

    public init(
        name: String? = nil, accessRule: OrganizationAccessRule? = nil, allowGlobalViewerSecret: Bool? = nil,
        retainDays: Int?? = nil
    ) {
        self.name = name
        self.accessRule = accessRule
        self.allowGlobalViewerSecret = allowGlobalViewerSecret
        self.retainDays = retainDays
    }
}

public enum OrganizationDeletion: Sendable, Equatable {
    case deleted
    case notFound
    /// Rooms still belong to it: move or detach them first.
    case hasRooms(Int)
}

public struct OrganizationRepository: Sendable {
    let session: CatalogSession

    /// Creates the organization with its first viewer secret; `nil` when the slug is taken
    /// (the unique index decides, so two concurrent creates cannot both succeed).
    public func create(
        slug: String, name: String, accessRule: OrganizationAccessRule, allowGlobalViewerSecret: Bool, retainDays: Int?,
        viewerSecretKid: String, viewerSecretSealed: String
    ) async throws -> Organization? {
        let id = UUID()
        let now = session.nowMs
        let inserted = try await session.sql.raw(
            """
            INSERT INTO organizations (id, slug, name, access_rule, allow_global_viewer_secret, retain_days, created_at, updated_at)
            VALUES (\(bind: id), \(bind: slug), \(bind: name), \(bind: accessRule.rawValue), \(bind: allowGlobalViewerSecret),
                \(bind: retainDays.map(Int64.init)), \(bind: now), \(bind: now))
            ON CONFLICT (slug) DO NOTHING RETURNING id
            """
        ).all()
        guard !inserted.isEmpty else { return nil }
        try await addViewerSecret(organizationID: id, kid: viewerSecretKid, sealed: viewerSecretSealed, retireOthersAt: nil)
        return try await find(id: id)
    }

    /// The shortest `retain_days` of any organization (nil: none sets one).
    public func shortestRetention() async throws -> Int? {
        try await session.sql.raw("SELECT MIN(retain_days) AS days FROM organizations").first()?
            .optionalInt64("days").map(Int.init)
    }

    public func find(id: UUID) async throws -> Organization? {
        try await session.sql.raw("SELECT * FROM organizations WHERE id = \(bind: id)").first().map(Self.decode)
    }

    public func find(slug: String) async throws -> Organization? {
        try await session.sql.raw("SELECT * FROM organizations WHERE slug = \(bind: slug)").first().map(Self.decode)
    }

    public func list() async throws -> [Organization] {
        try await session.sql.raw("SELECT * FROM organizations ORDER BY slug").all().map(Self.decode)
    }

    /// Applies `changes`; `nil` when there is no such organization.
    public func update(id: UUID, _ changes: OrganizationChanges) async throws -> Organization? {
        guard var organization = try await find(id: id) else { return nil }
        if let name = changes.name { organization.name = name }
        if let rule = changes.accessRule { organization.accessRule = rule }
        if let allow = changes.allowGlobalViewerSecret { organization.allowGlobalViewerSecret = allow }
        if let retain = changes.retainDays { organization.retainDays = retain }
        try await session.sql.raw(
            """
            UPDATE organizations SET name = \(bind: organization.name), access_rule = \(bind: organization.accessRule.rawValue),
                allow_global_viewer_secret = \(bind: organization.allowGlobalViewerSecret),
                retain_days = \(bind: organization.retainDays.map(Int64.init)), updated_at = \(bind: session.nowMs)
            WHERE id = \(bind: id)
            """
        ).run()
        return try await find(id: id)
    }

    /// Deletes an organization that no room belongs to any more; its API keys are revoked and
    /// its webhook endpoints deleted with it (they could only ever see its rooms). Run in a
    /// transaction so a room claimed meanwhile cannot be left pointing at nothing.
    public func delete(id: UUID) async throws -> OrganizationDeletion {
        guard try await session.sql.raw("SELECT id FROM organizations WHERE id = \(bind: id)\(session.forUpdate)").first() != nil
        else { return .notFound }
        let rooms = try await session.rooms.count(organizationID: id)
        guard rooms == 0 else { return .hasRooms(rooms) }
        try await session.apiKeys.revokeAll(organizationID: id)
        try await session.webhooks.deleteEndpoints(organizationID: id)
        try await session.sql.raw("DELETE FROM organization_viewer_secrets WHERE organization_id = \(bind: id)").run()
        try await session.sql.raw("DELETE FROM organizations WHERE id = \(bind: id)").run()
        return .deleted
    }

    // MARK: Usage

    /// The organization's recordings as usage counts them, and the times of their views
    /// (playback grants, share uses) between `from` and `to`.
    public func usageFacts(organizationID: UUID, from: Date, to: Date) async throws -> (recordings: [UsageRecording], views: [Date]) {
        let rooms: SQLQueryString = "(SELECT id FROM rooms WHERE organization_id = \(bind: organizationID))"
        let rows = try await session.sql.raw(
            """
            SELECT r.created_at, r.ended_at, r.duration_ms, r.size_bytes, r.status,
                (SELECT MIN(e.at) FROM events e WHERE e.recording_id = r.id AND e.type = 'recording.deleted') AS deleted_at
            FROM recordings r WHERE r.room_id IN
            """ + rooms + " AND r.created_at < \(bind: to.millisecondsSince1970)"
        ).all()
        let recordings = try rows.map { row in
            UsageRecording(
                createdAt: try row.date("created_at"), endedAt: try row.optionalDate("ended_at"), durationMs: try row.optionalInt64("duration_ms"),
                sizeBytes: try row.optionalInt64("size_bytes"), failed: try row.string("status") == "failed",
                deletedAt: try row.optionalDate("deleted_at"))
        }
        let views = try await session.sql.raw(
            """
            SELECT e.at FROM events e JOIN recordings r ON r.id = e.recording_id
            WHERE e.type IN ('playback.granted', 'share.used') AND e.at >= \(bind: from.millisecondsSince1970)
                AND e.at < \(bind: to.millisecondsSince1970) AND r.room_id IN
            """ + rooms
        ).all().map { try $0.date("at") }
        return (recordings, views)
    }

    // MARK: Viewer-token secrets

    /// Adds a viewer secret; the ones still current stop being accepted at `retireOthersAt`
    /// (the overlap in which tokens signed with them still work). Already-retiring secrets keep
    /// their earlier end.
    public func addViewerSecret(organizationID: UUID, kid: String, sealed: String, retireOthersAt: Date?) async throws {
        if let retireOthersAt {
            let at = retireOthersAt.millisecondsSince1970
            try await session.sql.raw(
                """
                UPDATE organization_viewer_secrets SET expires_at = \(bind: at)
                WHERE organization_id = \(bind: organizationID) AND (expires_at IS NULL OR expires_at > \(bind: at))
                """
            ).run()
        }
        try await session.sql.raw(
            """
            INSERT INTO organization_viewer_secrets (kid, organization_id, secret_sealed, created_at)
            VALUES (\(bind: kid), \(bind: organizationID), \(bind: sealed), \(bind: session.nowMs))
            """
        ).run()
    }

    public func viewerSecret(kid: String) async throws -> OrganizationViewerSecret? {
        try await session.sql.raw("SELECT * FROM organization_viewer_secrets WHERE kid = \(bind: kid)").first()
            .map(Self.decodeSecret)
    }

    /// The organization's secrets, newest first.
    public func viewerSecrets(organizationID: UUID) async throws -> [OrganizationViewerSecret] {
        try await session.sql.raw(
            "SELECT * FROM organization_viewer_secrets WHERE organization_id = \(bind: organizationID) ORDER BY created_at DESC, kid"
        ).all().map(Self.decodeSecret)
    }

    static func decode(_ row: any SQLRow) throws -> Organization {
        let raw = try row.string("access_rule")
        guard let rule = OrganizationAccessRule(rawValue: raw) else {
            throw CatalogDataError(description: "unknown organization access rule \(raw)")
        }
        return Organization(
            id: try row.uuid("id"), slug: try row.string("slug"), name: try row.string("name"), accessRule: rule,
            allowGlobalViewerSecret: try row.bool("allow_global_viewer_secret"),
            retainDays: try row.optionalInt64("retain_days").map(Int.init), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }

    static func decodeSecret(_ row: any SQLRow) throws -> OrganizationViewerSecret {
        OrganizationViewerSecret(
            kid: try row.string("kid"), organizationID: try row.uuid("organization_id"),
            secretSealed: try row.string("secret_sealed"), createdAt: try row.date("created_at"),
            expiresAt: try row.optionalDate("expires_at"))
    }
}
