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
    /// queues post-processing. A recording already ready gets it queued again, which the job's
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

    /// Deleted (by the API or retention): the purge of its objects is queued with the change.
    package static func markDeleted(
        _ id: UUID, actor: String, cause: String, catalog: Catalog, scheduler: JobScheduler
    ) async throws -> TransitionOutcome {
        let outcome = try await catalog.transaction { tx -> TransitionOutcome in
            let outcome = try await tx.recordings.transition(id, to: .deleted, actor: actor, cause: cause)
            if case .applied = outcome, let recording = try await tx.recordings.find(id: id) {
                try await tx.jobs.enqueue(try PurgeRecordingObjectsJob.newJob(recordingID: id, keyPrefix: recording.keyPrefix))
            }
            return outcome
        }
        if case .applied = outcome { scheduler.wakeup.signal() }
        return outcome
    }
}
