import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// A recording became ready: each of its invitees (of its room and of itself, and the session's
/// participants with a known email when the policy says `notify: participants`) gets one email
/// with a personal link. Queued by ``RecordingLifecycle`` in the transaction that made it ready.
///
/// One email per address and recording, ever: each is written with the idempotency key
/// `invite:<recording>:<email>` in a transaction of its own with its share and delivery job, so
/// running this again (a crash, a second ready) writes only what is missing.
package struct InvitationFanOutJob: RecordingJob {
    static package let kind = "invitations.fan_out"
    static package let maxAttempts = 10
    package let catalog: Catalog
    package let outbox: MailOutbox
    package let defaultPolicy: RecordingPolicy

    package static func idempotencyKey(recordingID: UUID, email: String) -> String {
        "invite:\(recordingID.uuidString.lowercased()):\(EmailAddress.normalize(email))"
    }

    /// Another round for a recording already ready (its list changed): a key of its own.
    static package func newJob(recordingID: UUID, round: UUID) throws -> NewJob {
        var job = try newJob(recordingID: recordingID)
        job.idempotencyKey = (job.idempotencyKey ?? kind) + ":" + round.uuidString.lowercased()
        return job
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let id = try job.decodedPayload(as: RecordingJobPayload.self).recordingID
        guard let recording = try await catalog.pool.recordings.find(id: id), recording.status == .ready else { return }
        let room = try await catalog.pool.rooms.find(id: recording.roomID)
        let policy: RecordingPolicy
        do {
            policy = try StoredPolicy.resolve(room?.policyJSON, room: recording.roomName, defaults: defaultPolicy)
        } catch {
            // An unreadable policy must not decide who gets mail; it is set again, then this retries.
            throw JobOutcome.postpone(reason: error.description, seconds: 300)
        }
        guard policy.notify != .none else { return }
        var people = try await catalog.pool.invitees.forRecording(id: recording.id, roomID: recording.roomID)
            .map { (email: $0.email, name: $0.name) }
        if policy.notify == .participants, let sessionID = recording.sessionID,
            try await ParticipantAddresses.apply(to: recording.roomID, catalog: catalog)
        {
            people += try await catalog.pool.viewerEmails.participants(sessionID: sessionID).map { (email: $0.email, name: $0.name) }
        }
        var seen: Set<String> = []
        var queued = 0
        for person in people where seen.insert(EmailAddress.normalize(person.email)).inserted {
            let key = Self.idempotencyKey(recordingID: recording.id, email: person.email)
            let wrote = try await outbox.queueLinkInTransaction(
                catalog, kind: .invite, recording: recording, email: person.email, name: person.name,
                lifetime: policy.inviteLinkTTLS, idempotencyKey: key, actor: "system:invitations")
            if wrote { queued += 1 }
        }
        if queued > 0 {
            logger.info("invitations queued", metadata: ["recording_id": "\(recording.id)", "count": "\(queued)"])
        }
    }
}
