import Foundation
import SQLKit
import TapedeckCore

/// A person's presence in a session: one row per stay (join to leave).
public struct Participant: Sendable, Equatable {
    public var id: Int64
    public var sessionID: UUID
    public var identity: String
    public var name: String?
    public var role: String
    public var joinedAt: Date
    public var leftAt: Date?

    public var isHost: Bool { role == "host" }
}

/// Who is present, for policy decisions.
public struct Presence: Sendable, Equatable {
    public var people: Int
    public var hosts: Int

    public init(people: Int, hosts: Int) {
        self.people = people
        self.hosts = hosts
    }
}

public struct ParticipantRepository: Sendable {
    let session: CatalogSession

    /// Records a join; a join while already present only refreshes the name and role (redelivery, reconnect).
    public func join(sessionID: UUID, identity: String, name: String?, isHost: Bool, at: Date) async throws {
        let role = isHost ? "host" : "participant"
        let updated = try await session.frequentRows(
            """
            UPDATE participants SET name = COALESCE(\(bind: name), name), role = \(bind: role)
            WHERE session_id = \(bind: sessionID) AND identity = \(bind: identity) AND left_at IS NULL
            RETURNING id
            """
        )
        guard updated.isEmpty else { return }
        _ = try await session.frequentRows(
            """
            INSERT INTO participants (session_id, identity, name, role, joined_at)
            VALUES (\(bind: sessionID), \(bind: identity), \(bind: name), \(bind: role), \(bind: at.millisecondsSince1970))
            """
        )
    }

    /// Records a departure; returns whether the person was a host.
    @discardableResult
    public func leave(sessionID: UUID, identity: String, at: Date) async throws -> Bool {
        let rows = try await session.frequentRows(
            """
            UPDATE participants SET left_at = \(bind: at.millisecondsSince1970)
            WHERE session_id = \(bind: sessionID) AND identity = \(bind: identity) AND left_at IS NULL
            RETURNING role
            """
        )
        return try rows.contains { try $0.string("role") == "host" }
    }

    public func leaveAll(sessionID: UUID, at: Date) async throws {
        try await session.sql.raw(
            """
            UPDATE participants SET left_at = \(bind: at.millisecondsSince1970)
            WHERE session_id = \(bind: sessionID) AND left_at IS NULL
            """
        ).run()
    }

    public func presence(sessionID: UUID) async throws -> Presence {
        let row = try await session.frequentRows(
            """
            SELECT COUNT(DISTINCT identity) AS people,
                COUNT(DISTINCT CASE WHEN role = 'host' THEN identity END) AS hosts
            FROM participants WHERE session_id = \(bind: sessionID) AND left_at IS NULL
            """
        ).first
        return Presence(people: try row?.int("people") ?? 0, hosts: try row?.int("hosts") ?? 0)
    }

    public func list(sessionID: UUID) async throws -> [Participant] {
        try await session.sql.raw(
            "SELECT * FROM participants WHERE session_id = \(bind: sessionID) ORDER BY joined_at, id"
        ).all().map(Self.decode)
    }

    /// Whether `identity` was ever in the session, and as what (`host` wins over `participant`).
    /// Whether this identity took part in any session of the room.
    public func tookPart(identity: String, roomID: UUID) async throws -> Bool {
        try await session.sql.raw(
            """
            SELECT 1 AS found FROM participants p JOIN sessions s ON s.id = p.session_id
            WHERE s.room_id = \(bind: roomID) AND p.identity = \(bind: identity) LIMIT 1
            """
        ).first() != nil
    }

    public func role(identity: String, sessionID: UUID) async throws -> String? {
        let rows = try await session.sql.raw(
            "SELECT role FROM participants WHERE session_id = \(bind: sessionID) AND identity = \(bind: identity)"
        ).all()
        let roles = try rows.map { try $0.string("role") }
        return roles.contains("host") ? "host" : roles.first
    }

    static func decode(_ row: any SQLRow) throws -> Participant {
        Participant(
            id: try row.int64("id"), sessionID: try row.uuid("session_id"), identity: try row.string("identity"),
            name: try row.optionalString("name"), role: try row.string("role"), joinedAt: try row.date("joined_at"),
            leftAt: try row.optionalDate("left_at"))
    }
}
