import Foundation
import SQLKit
import TapedeckCore

/// The audit log: append-only.
public struct EventRepository: Sendable {
    let session: CatalogSession

    public func append(_ event: NewAuditEvent) async throws {
        try await session.sql.raw(
            """
            INSERT INTO events (recording_id, session_id, type, actor, data_json, at)
            VALUES (\(bind: event.recordingID), \(bind: event.sessionID), \(bind: event.type), \(bind: event.actor),
                \(bind: event.dataJSON), \(bind: session.nowMs))
            """
        ).run()
    }

    /// Events of one recording in the order they happened, after the event id `afterID`.
    public func list(recordingID: UUID, afterID: Int64?, limit: Int) async throws -> [AuditEvent] {
        try await session.sql.raw(
            """
            SELECT * FROM events WHERE recording_id = \(bind: recordingID) AND id > \(bind: afterID ?? 0)
            ORDER BY id LIMIT \(literal: limit)
            """
        ).all().map(Self.decode)
    }

    static func decode(_ row: any SQLRow) throws -> AuditEvent {
        AuditEvent(
            id: try row.int64("id"), recordingID: try row.optionalUUID("recording_id"),
            sessionID: try row.optionalUUID("session_id"), type: try row.string("type"), actor: try row.string("actor"),
            dataJSON: try row.string("data_json"), at: try row.date("at"))
    }
}
