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

    public func find(id: UUID) async throws -> Session? {
        try await session.sql.raw("SELECT * FROM sessions WHERE id = \(bind: id)").first().map(Self.decode)
    }

    static func decode(_ row: any SQLRow) throws -> Session {
        Session(
            id: try row.uuid("id"), roomID: try row.uuid("room_id"),
            providerSessionID: try row.optionalString("provider_session_id"), key: try row.string("key"),
            startedAt: try row.date("started_at"), endedAt: try row.optionalDate("ended_at"))
    }
}
