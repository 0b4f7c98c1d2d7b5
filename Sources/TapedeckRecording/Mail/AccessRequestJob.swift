import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// Someone asked for a link to a recording by email. The API answers the same whatever the
/// address and queues this job every time, so the lookup (is the address invited to the
/// recording or its room, or a participant of its session?) happens here, where its timing
/// cannot be observed. When it is, a fresh personal link email is queued, at most one per
/// address and recording every ``linkSlot`` seconds across the cluster.
package struct AccessRequestJob: JobHandler {
    static package let kind = "access_requests.resolve"
    package var kind: String { Self.kind }
    package let catalog: Catalog
    package let outbox: MailOutbox
    package let defaultPolicy: RecordingPolicy

    package struct Payload: Codable, Sendable {
        package var recordingID: UUID
        package var email: String
        package var requestID: UUID
        package enum CodingKeys: String, CodingKey { case recordingID = "recording_id", email, requestID = "request_id" }
    }

    static package func newJob(recordingID: UUID, email: String) throws -> NewJob {
        let request = UUID()
        return try NewJob(
            kind: kind, payload: Payload(recordingID: recordingID, email: EmailAddress.normalize(email), requestID: request),
            idempotencyKey: "\(kind):\(request.uuidString.lowercased())", maxAttempts: 5)
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let payload = try job.decodedPayload(as: Payload.self)
        guard let recording = try await catalog.pool.recordings.find(id: payload.recordingID), recording.status == .ready else { return }
        var eligible = try await catalog.pool.invitees.isInvited(
            email: payload.email, recordingID: recording.id, roomID: recording.roomID)
        var name: String? = nil
        if !eligible, let sessionID = recording.sessionID, try await ParticipantAddresses.apply(to: recording.roomID, catalog: catalog) {
            eligible = try await catalog.pool.viewerEmails.isParticipant(email: payload.email, sessionID: sessionID)
        } else if eligible {
            name = try await catalog.pool.invitees.forRecording(id: recording.id, roomID: recording.roomID)
                .first { $0.email == payload.email }?.name
        }
        guard eligible else { return }
        let room = try await catalog.pool.rooms.find(id: recording.roomID)
        let lifetime =
            (try? StoredPolicy.resolve(room?.policyJSON, room: recording.roomName, defaults: defaultPolicy))?.inviteLinkTTLS
            ?? defaultPolicy.inviteLinkTTLS
        _ = try await outbox.queueLinkInTransaction(
            catalog, kind: .accessLink, recording: recording, email: payload.email, name: name, lifetime: lifetime,
            idempotencyKey: Self.linkKey(recordingID: recording.id, email: payload.email, at: catalog.clock.now()),
            actor: "system:access_request")
    }

    /// How often one address may be sent a link to one recording, whichever instance took the
    /// requests: the API's per-address limit is counted in each process's memory, so with several
    /// instances it would let through that many times as many; this one is the email table's
    /// unique key, shared by all of them.
    static package let linkSlot: TimeInterval = 1200

    /// One link email per (recording, address) per ``linkSlot``: requests in the same slot,
    /// and retries of one request, name the same email.
    static package func linkKey(recordingID: UUID, email: String, at now: Date) -> String {
        let slot = Int64((now.timeIntervalSince1970 / linkSlot).rounded(.down))
        return "access_link:\(recordingID.uuidString.lowercased()):\(email):\(slot)"
    }
}
