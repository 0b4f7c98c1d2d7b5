import Foundation
import TapedeckCore
import TapedeckStore

/// The one place that moves a recording into `ready` or `deleted` and queues what follows.
///
/// Every writer (LiveKit's output check, ingest, import, the local recorder, the API's delete,
/// retention) calls these, so "ready" always comes with post-processing and "deleted" always with
/// the purge, in the same transaction: a crash can lose neither. The outbound event is the audit
/// event the transition writes (the store queues its fan-out in that same transaction).
package enum RecordingLifecycle {
    /// Moves the recording to `status` (a terminal outcome of recording); when that is `ready`,
    /// queues post-processing and the invitations. A recording already ready gets it queued again, which the job's
    /// idempotency key makes a no-op unless it was somehow missing.
    @discardableResult
    package static func finish(
        _ tx: CatalogSession, _ id: UUID, as status: RecordingStatus, actor: String, cause: String,
        changes: RecordingChanges = .init()
    ) async throws -> TransitionOutcome {
        let outcome = try await tx.recordings.transition(id, to: status, actor: actor, cause: cause, changes: changes)
        guard status == .ready else { return outcome }
        switch outcome {
        case .applied, .ignored(current: .ready, _):
            try await tx.jobs.enqueue(try PostProcessJob.newJob(recordingID: id))
            // Its invitees get their links (once: the job's key is the recording's, and each
            // email's key its address's).
            try await tx.jobs.enqueue(try InvitationFanOutJob.newJob(recordingID: id))
            // Its media start and end are final now: cues held for its session find their place,
            // and the tracks it is ready with are announced (once: only on the change itself).
            try await CuePlacer.place(tx, recordingID: id)
            if case .applied = outcome {
                try await CuePlacer.announceNewTracks(tx, recordingID: id, before: [], actor: actor)
            }
        default:
            break
        }
        return outcome
    }

    /// Ready: its files are stored and verified.
    @discardableResult
    package static func markReady(
        _ tx: CatalogSession, _ id: UUID, actor: String, cause: String, changes: RecordingChanges = .init()
    ) async throws -> TransitionOutcome {
        try await finish(tx, id, as: .ready, actor: actor, cause: cause, changes: changes)
    }

    /// Asks an active recording of a provider's recorder to stop: a scheduled one is aborted; one
    /// recording (or starting) becomes `stopping`, and `stopJob` is queued when the provider's
    /// recorder has an id (otherwise its start job sees `stopping` and aborts).
    package static func requestStop(
        _ tx: CatalogSession, recording: Recording, reason: String, actor: String, stopJob: @autoclosure () throws -> NewJob
    ) async throws {
        // As the row is now, inside the caller's transaction: a recorder id saved since the
        // caller read it must get its stop.
        let recording = try await tx.recordings.find(id: recording.id) ?? recording
        switch recording.status {
        case .scheduled:
            _ = try await tx.recordings.transition(recording.id, to: .aborted, actor: actor, cause: reason)
        case .starting, .recording:
            _ = try await tx.recordings.transition(recording.id, to: .stopping, actor: actor, cause: reason)
            if recording.providerRecordingID != nil { try await tx.jobs.enqueue(try stopJob()) }
        default:
            break
        }
    }

    /// For a start job: a recording stopped before its recorder started is aborted (and `true`
    /// is returned: nothing is left to start).
    package static func abortIfStoppedBeforeStart(_ recording: Recording, catalog: Catalog) async throws -> Bool {
        guard recording.status == .stopping, recording.providerRecordingID == nil else { return false }
        _ = try await catalog.transaction { tx in
            try await tx.recordings.transition(
                recording.id, to: .aborted, actor: "system", cause: "stopped before the recorder started",
                changes: RecordingChanges(error: "stopped before the recorder started"))
        }
        return true
    }

    /// For a start job: the provider refused the start for good. The recording fails with the
    /// provider's reason, and the job ends (the returned error is thrown by the caller).
    package static func startRefused(
        _ recording: Recording, by provider: String, reason: String, catalog: Catalog
    ) async throws -> JobOutcome {
        _ = try await catalog.transaction { tx in
            try await tx.recordings.transition(
                recording.id, to: .failed, actor: provider, cause: "start refused",
                changes: RecordingChanges(error: "\(reason)"))
        }
        return JobOutcome.permanentFailure(reason)
    }

    /// For a start job: the provider could not start it now (no recorder free, unreachable); the
    /// audit log says so before the job retries with backoff.
    package static func startRetrying(_ recording: Recording, error: any Error, attempt: Int, catalog: Catalog) async throws {
        try await catalog.pool.events.append(
            NewAuditEvent(
                recordingID: recording.id, sessionID: recording.sessionID, type: "recording.start_retrying", actor: "system",
                data: ["reason": "\(error)", "attempt": "\(attempt)"]))
    }

    /// Deleted (by the API or retention): the purge of its objects is queued with the change.
    package static func markDeleted(
        _ id: UUID, actor: String, cause: String, catalog: Catalog, scheduler: JobScheduler
    ) async throws -> TransitionOutcome {
        let outcome = try await catalog.transaction { tx -> TransitionOutcome in
            let outcome = try await tx.recordings.transition(id, to: .deleted, actor: actor, cause: cause)
            if case .applied = outcome, let recording = try await tx.recordings.find(id: id) {
                try await tx.jobs.enqueue(try PurgeRecordingObjectsJob.newJob(recordingID: id, keyPrefix: recording.keyPrefix))
                // Its transcript goes with it; cues held on the session for other recordings stay,
                // unless no recording of the ended session can ever take them.
                try await tx.cues.deleteAll(recordingID: id)
                if let sessionID = recording.sessionID, let session = try await tx.sessions.find(id: sessionID), session.endedAt != nil,
                    try await tx.recordings.list(sessionID: sessionID).allSatisfy({ !CuePlacer.placeable.contains($0.status) })
                {
                    try await tx.cues.deleteHeld(sessionID: sessionID)
                }
            }
            return outcome
        }
        if case .applied = outcome { scheduler.wakeup.signal() }
        return outcome
    }
}
