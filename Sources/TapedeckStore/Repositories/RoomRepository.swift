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

    /// The provider's room with this name: the same name on another provider is another room.
    public func find(name: String, provider: String) async throws -> Room? {
        try await session.sql.raw(
            "SELECT * FROM rooms WHERE name = \(bind: name) AND provider = \(bind: provider)"
        ).first().map(Self.decode)
    }

    /// Every provider's room with this name, by provider.
    public func all(named name: String) async throws -> [Room] {
        try await session.sql.raw("SELECT * FROM rooms WHERE name = \(bind: name) ORDER BY provider").all().map(Self.decode)
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

    static func decode(_ row: any SQLRow) throws -> Room {
        Room(
            id: try row.uuid("id"), provider: try row.string("provider"), name: try row.string("name"),
            displayName: try row.optionalString("display_name"), policyJSON: try row.optionalString("policy_json"),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"),
            providerRoomID: try row.optionalString("provider_room_id"))
    }

    /// Remembers the provider's id of the room (the latest one it reported).
    public func setProviderRoomID(_ id: UUID, _ providerRoomID: String) async throws {
        try await session.sql.raw(
            "UPDATE rooms SET provider_room_id = \(bind: providerRoomID) WHERE id = \(bind: id) AND (provider_room_id IS NULL OR provider_room_id <> \(bind: providerRoomID))"
        ).run()
    }
}
