import Foundation
import HMS
import TapedeckCore
import TapedeckStore

/// 100ms as a ``RecordingProvider``: its reports are webhooks authenticated by their secret
/// header, confirmed over REST before anything follows from them.
extension HMSRecorder: RecordingProvider {
    package var name: String { Self.provider }

    /// A manual start: the room must be one 100ms has told Tapedeck about (its id comes from
    /// 100ms' webhooks), with an open session.
    package func start(_ request: RecordingStartRequest) async throws -> Recording {
        guard case .composite(_, let audioOnly, _) = request.options else {
            throw RecordingStartError.invalid(field: "provider", message: "this request is not for provider 100ms")
        }
        let roomName = request.room
        let result = try await catalog.transaction { tx -> Result<Recording, RecordingStartError> in
            guard let room = try await tx.rooms.find(name: roomName, provider: Self.provider), room.providerRoomID != nil,
                let session = try await tx.sessions.open(roomID: room.id, provider: Self.provider)
            else { return .failure(.roomNotFound(roomName)) }
            var policy: RecordingPolicy
            do {
                policy = try self.policy(of: room)
            } catch {
                return .failure(.policyUnreadable("\(error)"))
            }
            if let audioOnly { policy.audioOnly = audioOnly }
            if let max = request.maxDurationS { policy.maxDurationS = max }
            if let problem = policy.validationError() { return .failure(.invalid(field: problem.field, message: problem.message)) }
            guard
                let started = try await requestStart(
                    tx, room: room, session: session, policy: policy, requestedBy: request.requestedBy,
                    requestKey: request.requestKey, title: request.title)
            else {
                return .failure(.alreadyActive(room: roomName, recording: try await tx.recordings.active(roomID: room.id)?.id))
            }
            return .success(started)
        }
        let recording = try result.get()
        wakeup.signal()
        return recording
    }

    /// Recordings past their maximum duration are stopped; quiet ones are looked up over REST;
    /// those still not copied a day after they ended are reported.
    package func reconcile() async throws {
        let now = catalog.clock.now()
        var queued = false
        for recording in try await catalog.pool.recordings.overLimit(provider: Self.provider, now: now, limit: 100) {
            try await catalog.transaction { tx in
                try await requestStop(
                    tx, recording: recording, reason: "maximum duration of \(recording.maxDurationS ?? 0) s reached", actor: "reconciler")
            }
            queued = true
        }
        let quiet = try await catalog.pool.recordings.stale(
            provider: Self.provider, statuses: [.starting, .recording, .stopping, .processing],
            updatedBefore: now.addingTimeInterval(-reconcileStaleAfter), limit: 100)
        // One sync per recording per quiet spell: the bucket names the spell.
        let spell = Int(now.timeIntervalSince1970 / max(1, reconcileStaleAfter))
        for recording in quiet {
            if recording.providerRecordingID == nil {
                // Still waiting for its start job, which decides; one that gave up leaves a
                // recording that never started.
                let key = "\(HMSStartJob.kind):\(recording.id.uuidString.lowercased())"
                let job = try await catalog.pool.jobs.find(idempotencyKey: key)
                try await catalog.transaction { tx in
                    switch job?.state {
                    case .dead?, .done?, nil:
                        _ = try await tx.recordings.transition(
                            recording.id, to: .failed, actor: "reconciler", cause: "recorder never started",
                            changes: RecordingChanges(error: "100ms' recorder could not be started: \(job?.lastError ?? "its start was lost")"))
                    default:
                        try await tx.recordings.touch(recording.id)
                    }
                }
                continue
            }
            try await catalog.transaction { tx in
                try await queueSync(tx, recording: recording, reason: "reconcile:\(spell)")
                try await tx.recordings.touch(recording.id)
            }
            queued = true
        }
        if queued { wakeup.signal() }
        try await alertOverdueCopies()
    }

    /// A webhook's recording ids are 100ms' own; only the one bound to this recording is its.
    package func writes(_ report: HMSWebhookEvent, into recording: Recording) -> Bool {
        guard let bound = recording.providerRecordingID else { return false }
        return [report.data.recordingID, report.data.jobID, report.data.beamID].contains(bound)
    }
}
