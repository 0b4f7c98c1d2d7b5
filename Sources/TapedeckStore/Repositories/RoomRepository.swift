import Foundation
import SQLKit
import TapedeckCore

/// A room of the media server.
public struct Room: Sendable, Equatable {
    public var id: UUID
    public var provider: String
    public var name: String
    public var displayName: String?
    public var policyJSON: String?
    public var createdAt: Date
    public var updatedAt: Date
    /// The provider's own id of the room, when it needs one (100ms).
    public var providerRoomID: String? = nil
    /// The organization the room belongs to, if any.
    public var organizationID: UUID? = nil
}

public struct RoomRepository: Sendable {
    let session: CatalogSession

    /// The provider's room with this name, created on first use.
    public func findOrCreate(name: String, provider: String) async throws -> Room {
        if let room = try await find(name: name, provider: provider) { return room }
        let now = session.nowMs
        try await session.sql.raw(
            """
            INSERT INTO rooms (id, provider, name, created_at, updated_at)
            VALUES (\(bind: UUID()), \(bind: provider), \(bind: name), \(bind: now), \(bind: now))
            ON CONFLICT (name, provider) DO NOTHING
            """
        ).run()
        guard let room = try await find(name: name, provider: provider) else {
            throw CatalogDataError(description: "room \(name) of \(provider) vanished after insert")
        }
        return room
    }

    /// Creates the provider's room in an organization; `nil` when a room of that name already
    /// exists (names are unique per provider across the installation).
    public func create(name: String, provider: String, organizationID: UUID?) async throws -> Room? {
        let now = session.nowMs
        let id = UUID()
        let inserted = try await session.sql.raw(
            """
            INSERT INTO rooms (id, provider, name, created_at, updated_at, organization_id)
            VALUES (\(bind: id), \(bind: provider), \(bind: name), \(bind: now), \(bind: now), \(bind: organizationID))
            ON CONFLICT (name, provider) DO NOTHING RETURNING id
            """
        ).all()
        guard !inserted.isEmpty else { return nil }
        return try await find(id: id)
    }

    /// The provider's room with this name: the same name on another provider is another room.
    public func find(name: String, provider: String) async throws -> Room? {
        try await session.frequentRows(
            "SELECT \(unsafeRaw: Self.columns) FROM rooms WHERE name = \(bind: name) AND provider = \(bind: provider)"
        ).first.map { try Self.decode(columns: $0) }
    }

    /// Every provider's room with this name, by provider.
    public func all(named name: String) async throws -> [Room] {
        try await session.sql.raw("SELECT * FROM rooms WHERE name = \(bind: name) ORDER BY provider").all().map(Self.decode)
    }

    /// Every room with a stored policy, with its organization's `retain_days`: what retention
    /// reads, once per pass, to know the shortest retention in force.
    public func storedPolicies() async throws -> [(room: Room, organizationRetainDays: Int?)] {
        try await session.sql.raw("""
            SELECT rm.*, (SELECT o.retain_days FROM organizations o WHERE o.id = rm.organization_id) AS organization_retain_days
            FROM rooms rm WHERE rm.policy_json IS NOT NULL
            """
        ).all().map { (try Self.decode($0), try $0.optionalInt64("organization_retain_days").map(Int.init)) }
    }

    public func find(id: UUID) async throws -> Room? {
        try await session.sql.raw("SELECT * FROM rooms WHERE id = \(bind: id)").first().map(Self.decode)
    }

    public func setPolicy(name: String, provider: String, policyJSON: String?) async throws -> Room {
        let room = try await findOrCreate(name: name, provider: provider)
        try await session.sql.raw(
            "UPDATE rooms SET policy_json = \(bind: policyJSON), updated_at = \(bind: session.nowMs) WHERE id = \(bind: room.id)"
        ).run()
        return try await find(id: room.id)!
    }

    /// Named rather than `*`, for statements kept prepared (``CatalogSession/frequentRows(_:)``).
    static let columns =
        "id, provider, name, display_name, policy_json, created_at, updated_at, provider_room_id, organization_id"

    static func decode(_ row: any SQLRow) throws -> Room { try decode(columns: SQLKitColumns(row: row)) }

    static func decode(columns row: some RowColumns) throws -> Room {
        Room(
            id: try row.uuid("id"), provider: try row.string("provider"), name: try row.string("name"),
            displayName: try row.optionalString("display_name"), policyJSON: try row.optionalString("policy_json"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            providerRoomID: try row.optionalString("provider_room_id"),
            // Read only when present: tools and tests also open catalogs migrated to earlier versions.
            organizationID: row.contains(column: "organization_id") ? try row.optionalUUID("organization_id") : nil)
    }

    /// The organization of a room (of a recording's `roomID`), if any.
    public func organizationID(of roomID: UUID) async throws -> UUID? {
        try await find(id: roomID)?.organizationID
    }

    /// Puts the room in an organization (or none).
    public func setOrganization(_ id: UUID, _ organizationID: UUID?) async throws {
        try await session.sql.raw(
            "UPDATE rooms SET organization_id = \(bind: organizationID), updated_at = \(bind: session.nowMs) WHERE id = \(bind: id)"
        ).run()
    }

    /// Puts a room not yet in any organization into `organizationID`; `false` when it already has one.
    public func claimUnowned(_ id: UUID, organizationID: UUID) async throws -> Bool {
        !(try await session.sql.raw(
            "UPDATE rooms SET organization_id = \(bind: organizationID) WHERE id = \(bind: id) AND organization_id IS NULL RETURNING id"
        ).all()).isEmpty
    }

    /// Puts a room that has never had a session, nor an organization, in the first of
    /// `candidates` (slugs) that is an organization: what `TAPEDECK_ORG_FROM` does for a room a
    /// provider reports for the first time. A room with a history keeps it: its earlier
    /// recordings never change hands because an organization was created later.
    public func adoptIntoOrganization(_ room: Room, candidates: [String]) async throws -> Room {
        guard room.organizationID == nil, !candidates.isEmpty else { return room }
        guard try await session.sql.raw("SELECT id FROM sessions WHERE room_id = \(bind: room.id) LIMIT 1").first() == nil
        else { return room }
        for slug in candidates {
            guard let organization = try await session.organizations.find(slug: slug) else { continue }
            guard try await claimUnowned(room.id, organizationID: organization.id) else { return try await find(id: room.id) ?? room }
            var adopted = room
            adopted.organizationID = organization.id
            return adopted
        }
        return room
    }

    /// How many rooms belong to the organization.
    public func count(organizationID: UUID) async throws -> Int {
        try await session.sql.raw(
            "SELECT COUNT(*) AS n FROM rooms WHERE organization_id = \(bind: organizationID)"
        ).first()?.int("n") ?? 0
    }

    /// Remembers the provider's id of the room (the latest one it reported).
    public func setProviderRoomID(_ id: UUID, _ providerRoomID: String) async throws {
        try await session.sql.raw(
            "UPDATE rooms SET provider_room_id = \(bind: providerRoomID) WHERE id = \(bind: id) AND (provider_room_id IS NULL OR provider_room_id <> \(bind: providerRoomID))"
        ).run()
    }
}
