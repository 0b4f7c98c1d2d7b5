import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// Turns one audit event into a delivery per subscribed endpoint, each with its own job.
/// Running it again finds the deliveries already made (one per endpoint and event id).
package struct WebhookFanOutJob: JobHandler {
    package var kind: String { WebhookOutbox.fanOutKind }
    package let catalog: Catalog
    package let scheduler: JobScheduler

    package func run(_ job: Job, logger: Logger) async throws {
        let payload = try job.decodedPayload(as: WebhookOutbox.Payload.self)
        let subscribed = try await catalog.pool.webhooks.endpoints().filter { $0.events.contains(payload.type) }
        guard !subscribed.isEmpty else { return }
        guard let event = try await catalog.pool.events.find(id: payload.auditEventID) else {
            throw JobOutcome.permanentFailure("audit event \(payload.auditEventID) is gone")
        }
        var body = WebhookEventBody(eventID: payload.eventID, type: payload.type, at: event.at)
        if let recordingID = event.recordingID {
            body.recording = try await catalog.pool.recordings.find(id: recordingID)
        }
        // An organization's endpoints hear only of its own recordings; global ones of everything.
        var organizationID: UUID?
        if let recording = body.recording { organizationID = try await catalog.pool.rooms.organizationID(of: recording.roomID) }
        let endpoints = subscribed.filter { $0.organizationID == nil || $0.organizationID == organizationID }
        if payload.type == .shareCreated, let shareID = JSONValue.parse(event.dataJSON).string("share_id").flatMap(UUID.init(uuidString:)) {
            body.share = try await catalog.pool.shares.find(id: shareID)
        }
        let text = body.text
        for endpoint in endpoints {
            let delivery = try await catalog.pool.webhooks.createDelivery(
                endpointID: endpoint.id, eventID: payload.eventID, eventType: payload.type.rawValue, body: text)
            if delivery.status == .pending {
                try await scheduler.enqueue(try WebhookDeliveryJob.newJob(deliveryID: delivery.id))
            }
        }
    }
}
