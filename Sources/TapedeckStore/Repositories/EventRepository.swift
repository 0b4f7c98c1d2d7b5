import Foundation
import SQLKit
import TapedeckCore

/// The audit log: append-only.
public struct EventRepository: Sendable {
    let session: CatalogSession

    /// Appends the event. An event customers subscribe to (``OutboundEventType``) also queues its
    /// webhook fan-out here, in the same transaction: a state change and its notification are
    /// committed together or not at all, whoever wrote the change.
    public func append(_ event: NewAuditEvent) async throws {
        let row = try await session.sql.raw(
            """
            INSERT INTO events (recording_id, session_id, type, actor, data_json, at)
            VALUES (\(bind: event.recordingID), \(bind: event.sessionID), \(bind: event.type), \(bind: event.actor),
                \(bind: event.dataJSON), \(bind: session.nowMs))
            RETURNING id
            """
        ).first()
        if let row, let type = OutboundEventType(auditType: event.type) {
            try await session.jobs.enqueue(try WebhookOutbox.fanOutJob(auditEventID: try row.int64("id"), type: type))
        }
    }

    /// Appends the recording's event unless it already has one of the same type; `false` when it
    /// had. Call inside a transaction: the recording's row is locked first, so two writers racing
    /// for one recording (two workers' sweeps) write one event between them.
    public func appendOnce(_ event: NewAuditEvent) async throws -> Bool {
        guard let recordingID = event.recordingID else {
            throw CatalogDataError(description: "an event appended once must name its recording")
        }
        _ = try await session.sql.raw("SELECT id FROM recordings WHERE id = \(bind: recordingID)" + session.forUpdate).first()
        let earlier = try await session.sql.raw(
            "SELECT id FROM events WHERE recording_id = \(bind: recordingID) AND type = \(bind: event.type) LIMIT 1"
        ).first()
        guard earlier == nil else { return false }
        try await append(event)
        return true
    }

    public func find(id: Int64) async throws -> AuditEvent? {
        try await session.sql.raw("SELECT * FROM events WHERE id = \(bind: id)").first().map(Self.decode)
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

/// The job that turns an audit event into webhook deliveries (run by the server's fan-out handler).
public enum WebhookOutbox {
    public static let fanOutKind = "webhooks.fan_out"

    public struct Payload: Codable, Sendable {
        public var auditEventID: Int64
        /// The public event id, chosen once here so a fan-out that runs again sends the same id.
        public var eventID: UUID
        public var type: OutboundEventType
        enum CodingKeys: String, CodingKey { case auditEventID = "audit_event_id", eventID = "event_id", type }
    }

    static func fanOutJob(auditEventID: Int64, type: OutboundEventType) throws -> NewJob {
        try NewJob(
            kind: fanOutKind, payload: Payload(auditEventID: auditEventID, eventID: UUID(), type: type),
            idempotencyKey: "\(fanOutKind):\(auditEventID)", maxAttempts: 20)
    }
}
