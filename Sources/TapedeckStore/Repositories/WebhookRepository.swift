import Foundation
import SQLKit
import TapedeckCore

/// A customer's endpoint; `secretSealed` is the signing secret sealed by the server's key.
public struct WebhookEndpoint: Sendable, Equatable {
    public var id: UUID
    public var url: String
    public var events: [OutboundEventType]
    public var description: String?
    public var secretSealed: String
    public var createdBy: String
    public var createdAt: Date
    /// An organization's endpoint receives only events of that organization's recordings.
    public var organizationID: UUID? = nil
}

public enum WebhookDeliveryStatus: String, Sendable, Codable {
    case pending, delivered, failed
}

/// One event sent (or being sent) to one endpoint. `body` is fixed when the delivery is created,
/// so every attempt sends the same bytes.
public struct WebhookDelivery: Sendable, Equatable {
    public var id: UUID
    public var endpointID: UUID
    public var eventID: UUID
    public var eventType: String
    public var body: String
    public var status: WebhookDeliveryStatus
    public var attempts: Int
    public var lastStatusCode: Int?
    public var lastError: String?
    public var nextAttemptAt: Date?
    public var deliveredAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
}

/// How one delivery attempt ended.
public enum WebhookAttemptResult: Sendable, Equatable {
    case delivered(statusCode: Int)
    /// Failed; try again at `retryAt`, or give up when it is `nil`.
    case failed(statusCode: Int?, error: String, retryAt: Date?)
}

public struct WebhookRepository: Sendable {
    let session: CatalogSession

    public func createEndpoint(
        url: String, events: [OutboundEventType], description: String?, secretSealed: String, createdBy: String,
        organizationID: UUID? = nil
    ) async throws -> WebhookEndpoint {
        let id = UUID()
        let eventsJSON = String(decoding: try JSONEncoder().encode(events.map(\.rawValue)), as: UTF8.self)
        try await session.sql.raw(
            """
            INSERT INTO webhook_endpoints (id, url, events_json, description, secret_sealed, created_by, created_at, organization_id)
            VALUES (\(bind: id), \(bind: url), \(bind: eventsJSON), \(bind: description), \(bind: secretSealed),
                \(bind: createdBy), \(bind: session.nowMs), \(bind: organizationID))
            """
        ).run()
        guard let endpoint = try await endpoint(id: id) else {
            throw CatalogDataError(description: "webhook endpoint \(id) vanished after insert")
        }
        return endpoint
    }

    public func endpoint(id: UUID) async throws -> WebhookEndpoint? {
        try await session.sql.raw("SELECT * FROM webhook_endpoints WHERE id = \(bind: id)").first().map(Self.decodeEndpoint)
    }

    public func endpoints() async throws -> [WebhookEndpoint] {
        try await session.sql.raw("SELECT * FROM webhook_endpoints ORDER BY created_at, id").all().map(Self.decodeEndpoint)
    }

    /// Deletes the endpoint and its delivery log; pending deliveries are dropped with it.
    public func deleteEndpoint(id: UUID) async throws -> Bool {
        try await session.sql.raw("DELETE FROM webhook_deliveries WHERE endpoint_id = \(bind: id)").run()
        return !(try await session.sql.raw("DELETE FROM webhook_endpoints WHERE id = \(bind: id) RETURNING id").all()).isEmpty
    }

    /// The delivery of `eventID` to `endpointID`, created once: a second call returns the first row.
    public func createDelivery(endpointID: UUID, eventID: UUID, eventType: String, body: String) async throws -> WebhookDelivery {
        let now = session.nowMs
        try await session.sql.raw(
            """
            INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, body, status, attempts, next_attempt_at,
                created_at, updated_at)
            VALUES (\(bind: UUID()), \(bind: endpointID), \(bind: eventID), \(bind: eventType), \(bind: body), 'pending', 0,
                \(bind: now), \(bind: now), \(bind: now))
            ON CONFLICT (endpoint_id, event_id) DO NOTHING
            """
        ).run()
        guard
            let row = try await session.sql.raw(
                "SELECT * FROM webhook_deliveries WHERE endpoint_id = \(bind: endpointID) AND event_id = \(bind: eventID)"
            ).first()
        else { throw CatalogDataError(description: "webhook delivery vanished after insert") }
        return try Self.decodeDelivery(row)
    }

    public func delivery(id: UUID) async throws -> WebhookDelivery? {
        try await session.sql.raw("SELECT * FROM webhook_deliveries WHERE id = \(bind: id)").first().map(Self.decodeDelivery)
    }

    /// The endpoint's deliveries, newest first, before the keyset position `before`.
    public func deliveries(endpointID: UUID, before: (createdAt: Int64, id: UUID)?, limit: Int) async throws -> [WebhookDelivery] {
        var query: SQLQueryString = "SELECT * FROM webhook_deliveries WHERE endpoint_id = \(bind: endpointID)"
        if let before {
            query += " AND (created_at < \(bind: before.createdAt) OR (created_at = \(bind: before.createdAt) AND id < \(bind: before.id)))"
        }
        query += " ORDER BY created_at DESC, id DESC LIMIT \(literal: limit)"
        return try await session.sql.raw(query).all().map(Self.decodeDelivery)
    }

    /// Records an attempt; only a pending delivery changes (a finished one stays as it ended).
    public func recordAttempt(_ id: UUID, _ result: WebhookAttemptResult) async throws {
        let now = session.nowMs
        let assignments: SQLQueryString
        switch result {
        case .delivered(let code):
            assignments = """
                status = 'delivered', last_status_code = \(bind: code), next_attempt_at = NULL,
                delivered_at = \(bind: now)
                """
        case .failed(let code, let error, let retryAt):
            let status = retryAt == nil ? "failed" : "pending"
            assignments = """
                status = \(bind: status), last_status_code = \(bind: code), last_error = \(bind: String(error.prefix(1000))),
                next_attempt_at = \(bind: retryAt?.millisecondsSince1970)
                """
        }
        try await session.sql.raw(
            "UPDATE webhook_deliveries SET " + assignments
                + ", attempts = attempts + 1, updated_at = \(bind: now) WHERE id = \(bind: id) AND status = 'pending'"
        ).run()
    }

    static func decodeEndpoint(_ row: any SQLRow) throws -> WebhookEndpoint {
        let names = try JSONDecoder().decode([String].self, from: Data(try row.string("events_json").utf8))
        return WebhookEndpoint(
            id: try row.uuid("id"), url: try row.string("url"), events: names.compactMap(OutboundEventType.init(rawValue:)),
            description: try row.optionalString("description"), secretSealed: try row.string("secret_sealed"),
            createdBy: try row.string("created_by"), createdAt: try row.date("created_at"),
            organizationID: row.contains(column: "organization_id") ? try row.optionalUUID("organization_id") : nil)
    }

    /// Deletes an organization's endpoints and their logs (the organization is being deleted).
    public func deleteEndpoints(organizationID: UUID) async throws {
        try await session.sql.raw(
            "DELETE FROM webhook_deliveries WHERE endpoint_id IN (SELECT id FROM webhook_endpoints WHERE organization_id = \(bind: organizationID))"
        ).run()
        try await session.sql.raw("DELETE FROM webhook_endpoints WHERE organization_id = \(bind: organizationID)").run()
    }

    static func decodeDelivery(_ row: any SQLRow) throws -> WebhookDelivery {
        let rawStatus = try row.string("status")
        guard let status = WebhookDeliveryStatus(rawValue: rawStatus) else {
            throw CatalogDataError(description: "webhook delivery has unknown status \(rawStatus)")
        }
        return WebhookDelivery(
            id: try row.uuid("id"), endpointID: try row.uuid("endpoint_id"), eventID: try row.uuid("event_id"),
            eventType: try row.string("event_type"), body: try row.string("body"), status: status,
            attempts: try row.int("attempts"), lastStatusCode: try row.optionalInt64("last_status_code").map(Int.init),
            lastError: try row.optionalString("last_error"), nextAttemptAt: try row.optionalDate("next_attempt_at"),
            deliveredAt: try row.optionalDate("delivered_at"), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}
