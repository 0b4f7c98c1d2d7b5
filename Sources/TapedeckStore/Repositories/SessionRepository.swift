import Foundation
import SQLKit
import TapedeckCore

/// One occurrence of a room.
public struct Session: Sendable, Equatable {
    public var id: UUID
    public var roomID: UUID
    public var providerSessionID: String?
    public var key: String
    public var startedAt: Date
    public var endedAt: Date?
}

public struct SessionRepository: Sendable {
    let session: CatalogSession

    /// Creates a session whose key is `{room}_{YYYY-MM-DD_HH-MM-SS}`, with `_2`, `_3`, ... appended
    /// when another session of the room already took that second.
    public func create(
        roomID: UUID, roomName: String, providerSessionID: String?, startedAt: Date
    ) async throws -> Session {
        let base = SessionKey.make(room: roomName, startedAt: startedAt)
        var key = base
        var suffix = 1
        while true {
            let id = UUID()
            let inserted = try await session.sql.raw(
                """
                INSERT INTO sessions (id, room_id, provider_session_id, key, started_at, created_at)
                VALUES (\(bind: id), \(bind: roomID), \(bind: providerSessionID), \(bind: key),
                        \(bind: startedAt.millisecondsSince1970), \(bind: session.nowMs))
                ON CONFLICT (key) DO NOTHING
                RETURNING id
                """
            ).first()
            if inserted != nil {
                return Session(
                    id: id, roomID: roomID, providerSessionID: providerSessionID, key: key,
                    startedAt: Date(millisecondsSince1970: startedAt.millisecondsSince1970), endedAt: nil)
            }
            suffix += 1
            key = "\(base)_\(suffix)"
        }
    }

    /// The room's session that has not ended (the most recent, if several) and that no other
    /// provider records: a session the local recorder or an import opened is never a LiveKit one.
    public func open(roomID: UUID, provider: String) async throws -> Session? {
        try await session.sql.raw(
            """
            SELECT * FROM sessions s WHERE s.room_id = \(bind: roomID) AND s.ended_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.id AND r.provider <> \(bind: provider))
            ORDER BY s.started_at DESC, s.created_at DESC LIMIT 1
            """
        ).first().map(Self.decode)
    }

    /// The room's session live cues belong to: the open one (the most recent, if several), else
    /// the one that ended last. Imported sessions never count: nothing happens in them live.
    public func live(roomID: UUID) async throws -> Session? {
        try await session.sql.raw(
            """
            SELECT * FROM sessions s WHERE s.room_id = \(bind: roomID)
                AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.id AND r.provider = 'import')
            ORDER BY CASE WHEN s.ended_at IS NULL THEN 0 ELSE 1 END, COALESCE(s.ended_at, s.started_at) DESC, s.started_at DESC
            LIMIT 1
            """
        ).first().map(Self.decode)
    }

    /// The room's session the provider knows by this id (another provider's id is not this room's).
    public func find(providerSessionID: String, roomID: UUID) async throws -> Session? {
        try await session.frequentRows(
            """
            SELECT \(unsafeRaw: Self.columns) FROM sessions
            WHERE provider_session_id = \(bind: providerSessionID) AND room_id = \(bind: roomID)
            ORDER BY started_at DESC LIMIT 1
            """
        ).first.map { try Self.decode(columns: $0) }
    }

    public func attachProviderID(_ id: UUID, providerSessionID: String) async throws {
        try await session.sql.raw(
            "UPDATE sessions SET provider_session_id = \(bind: providerSessionID) WHERE id = \(bind: id) AND provider_session_id IS NULL"
        ).run()
    }

    public func close(_ id: UUID, at: Date) async throws {
        try await session.sql.raw(
            "UPDATE sessions SET ended_at = \(bind: at.millisecondsSince1970) WHERE id = \(bind: id) AND ended_at IS NULL"
        ).run()
    }

    /// Sessions of `provider`'s rooms (none of whose recordings another provider made) still open that started before `cutoff`,
    /// with their room names (for the reconciler).
    public func openSessions(provider: String, startedBefore cutoff: Date, limit: Int) async throws -> [(Session, String)] {
        let rows = try await session.sql.raw(
            """
            SELECT s.*, rm.name AS room_name FROM sessions s JOIN rooms rm ON rm.id = s.room_id
            WHERE rm.provider = \(bind: provider) AND s.ended_at IS NULL AND s.started_at < \(bind: cutoff.millisecondsSince1970)
                AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.id AND r.provider <> \(bind: provider))
            ORDER BY s.started_at LIMIT \(literal: limit)
            """
        ).all()
        return try rows.map { (try Self.decode($0), try $0.string("room_name")) }
    }

    public func find(id: UUID) async throws -> Session? {
        try await session.sql.raw("SELECT * FROM sessions WHERE id = \(bind: id)").first().map(Self.decode)
    }

    /// Named rather than `*`, for statements kept prepared (``CatalogSession/frequentRows(_:)``).
    static let columns = "id, room_id, provider_session_id, key, started_at, ended_at"

    static func decode(_ row: any SQLRow) throws -> Session { try decode(columns: SQLKitColumns(row: row)) }

    static func decode(columns row: some RowColumns) throws -> Session {
        Session(
            id: try row.uuid("id"), roomID: try row.uuid("room_id"),
            providerSessionID: try row.optionalString("provider_session_id"), key: try row.string("key"),
            startedAt: try row.date("started_at"), endedAt: try row.optionalDate("ended_at"))
    }
}
