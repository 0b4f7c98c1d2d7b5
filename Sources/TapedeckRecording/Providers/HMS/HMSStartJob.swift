import Foundation
import HMS
import Logging
import TapedeckCore
import TapedeckStore

/// Starts 100ms' recorder for a `starting` recording. After a crash or a lost answer, a retry
/// adopts the recording 100ms already started for the room rather than starting a second one.
package struct HMSStartJob: RecordingJob {
    static package let kind = "hms.start_recording"
    static package let maxAttempts = 10
    package let recorder: HMSRecorder

    package func run(_ job: Job, logger: Logger) async throws {
        let catalog = recorder.catalog
        let recording = try await job.recording(in: catalog)
        let id = recording.id
        guard let plan = HMSRecorder.Plan.decode(recording.requestJSON) else {
            throw JobOutcome.permanentFailure("recording \(id) has no recorder request")
        }
        // A retry may follow a start 100ms took whose answer was lost: that recorder is this
        // recording's (and is stopped at once if the recording was stopped meanwhile).
        if job.attempts > 1, recording.providerRecordingID == nil, recording.status == .starting || recording.status == .stopping,
            let earlier = try await runningRecording(roomID: plan.roomID)
        {
            try await adopt(earlier, recording: recording)
            return
        }
        if try await RecordingLifecycle.abortIfStoppedBeforeStart(recording, catalog: catalog) { return }
        guard recording.status == .starting, recording.providerRecordingID == nil else { return }
        let started: HMSRecording
        do {
            started = try await recorder.api.startRecording(
                roomID: plan.roomID, HMSStartRequest(meetingURL: plan.meetingURL, audioOnly: plan.audioOnly ? true : nil))
        } catch let error as HMSError where (400..<500).contains(error.status) && error.status != 429 {
            // 409 (already recording), or a refusal that may answer a retried start that went
            // through: a recorder running in the room is this one's.
            if let earlier = try await runningRecording(roomID: plan.roomID) {
                try await adopt(earlier, recording: recording)
                return
            }
            guard error.status != 409 else { throw error }
            throw try await RecordingLifecycle.startRefused(
                recording, by: HMSRecorder.provider, reason: "100ms refused to start the recorder: \(error.message)", catalog: catalog)
        } catch {
            try await RecordingLifecycle.startRetrying(recording, error: error, attempt: job.attempts, catalog: catalog)
            throw error
        }
        try await adopt(started, recording: recording)
    }

    /// A recording 100ms is running (or starting) in the room.
    private func runningRecording(roomID: String) async throws -> HMSRecording? {
        try await recorder.api.recordings(roomID: roomID, sessionID: nil, status: nil)
            .first { [.starting, .running].contains($0.status) }
    }

    /// Binds 100ms' recording to ours and, in the same transaction, queues its stop if ours was
    /// stopped meanwhile (a crash cannot lose it).
    private func adopt(_ hms: HMSRecording, recording: Recording) async throws {
        try await recorder.catalog.transaction { tx in
            _ = try await tx.recordings.setProviderRecordingID(recording.id, hms.id)
            if hms.status == .running {
                _ = try await tx.recordings.transition(
                    recording.id, to: .recording, actor: HMSRecorder.provider, cause: "recorder running",
                    changes: RecordingChanges(startedAt: hms.startedAt))
            }
            if try await tx.recordings.find(id: recording.id)?.status == .stopping {
                try await tx.jobs.enqueue(try HMSStopJob.newJob(recordingID: recording.id, reason: "adopted"))
            }
        }
        recorder.wakeup.signal()
    }
}

/// Stops 100ms' recorder. One that already stopped counts as done; what became of it is then
/// looked up (``HMSSyncJob``). Queued once per reason (a request, an adoption, a sync that
/// found the recorder still running), so a later stop is never swallowed by an earlier one.
package struct HMSStopJob: JobHandler {
    static package let kind = "hms.stop_recording"
    package var kind: String { Self.kind }
    package let recorder: HMSRecorder

    static package func newJob(recordingID: UUID, reason: String, runAt: Date? = nil) throws -> NewJob {
        try NewJob(
            kind: kind, payload: RecordingJobPayload(recordingID: recordingID),
            idempotencyKey: "\(kind):\(recordingID.uuidString.lowercased()):\(reason)", runAt: runAt, maxAttempts: 10)
    }

    /// How long after a stop 100ms may still report the recorder running before it is asked again.
    static package let askAgainAfter: TimeInterval = 30

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        guard let hmsID = recording.providerRecordingID, recording.status.isActive else { return }
        do {
            _ = try await recorder.api.stopRecording(id: hmsID)
        } catch let error as HMSError where [400, 404, 409].contains(error.status) {
            logger.debug("100ms recording already stopped", metadata: ["recording": "\(hmsID)", "answer": "\(error)"])
        }
        try await recorder.catalog.transaction { tx in
            try await recorder.queueSync(tx, recording: recording, reason: "stopped:\(job.id)")
        }
        recorder.wakeup.signal()
    }
}
