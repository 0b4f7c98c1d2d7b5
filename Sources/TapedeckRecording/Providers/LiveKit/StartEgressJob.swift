import Foundation
import LiveKit
import Logging
import TapedeckCore
import TapedeckStore

/// Starts the room-composite egress of a `starting` recording.
///
/// Runs at once after the row is written (the worker is woken). On a retry it first looks for an
/// egress an earlier attempt may have started (a crash after LiveKit answered but before the id
/// was saved), so a recording never gets two recorders.
package struct StartEgressJob: RecordingJob {
    static package let kind = "livekit.start_egress"
    static package let maxAttempts = 8
    package let recorder: LiveKitRecorder

    package func run(_ job: Job, logger: Logger) async throws {
        let catalog = recorder.catalog
        let recording = try await job.recording(in: catalog)
        let id = recording.id
        if try await RecordingLifecycle.abortIfStoppedBeforeStart(recording, catalog: catalog) { return }
        guard recording.status == .starting, recording.providerRecordingID == nil else { return }
        guard let plan = EgressPlan.decode(recording.requestJSON) else {
            throw JobOutcome.permanentFailure("recording \(id) has no recorder request")
        }
        let request = EgressRequestBuilder.request(
            room: recording.roomName, keyPrefix: recording.keyPrefix, plan: plan, destination: recorder.destination)
        if job.attempts > 1, let earlier = try await findEarlierEgress(recording) {
            try await adopt(earlier, recording: recording)
            return
        }
        let info: EgressInfo
        do {
            info = try await recorder.api.startRoomCompositeEgress(request)
        } catch let error as TwirpError where !error.isRetryable {
            throw try await RecordingLifecycle.startRefused(
                recording, by: LiveKitRecorder.provider,
                reason: "LiveKit refused to start the recorder: \(error.code): \(error.message)", catalog: catalog)
        } catch {
            // No recorder free, LiveKit unreachable: say so, and try again with backoff.
            try await RecordingLifecycle.startRetrying(recording, error: error, attempt: job.attempts, catalog: catalog)
            throw error
        }
        try await adopt(info, recording: recording)
    }

    /// Binds the egress to the recording; stops it at once if the recording was stopped meanwhile.
    package func adopt(_ info: EgressInfo, recording: Recording) async throws {
        let current = try await recorder.catalog.transaction { tx -> Recording? in
            _ = try await tx.recordings.setProviderRecordingID(recording.id, info.egressID)
            try await recorder.applyEgress(tx, info, actor: "livekit")
            return try await tx.recordings.find(id: recording.id)
        }
        if current?.status == .stopping {
            try await recorder.catalog.pool.jobs.enqueue(try StopEgressJob.newJob(recordingID: recording.id))
            recorder.wakeup.signal()
        }
    }

    /// An egress for this room writing into this recording's own folder (so never an earlier
    /// recording's egress of the same session).
    package func findEarlierEgress(_ recording: Recording) async throws -> EgressInfo? {
        let candidates = try await recorder.api.listEgress(roomName: recording.roomName, egressID: nil, activeOnly: false)
        return candidates.first { recorder.writes($0, into: recording) }
    }
}
