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
        if recording.status == .stopping, recording.providerRecordingID == nil {
            _ = try await catalog.transaction { tx in
                try await tx.recordings.transition(
                    id, to: .aborted, actor: "system", cause: "stopped before the recorder started",
                    changes: RecordingChanges(error: "stopped before the recorder started"))
            }
            return
        }
        guard recording.status == .starting, recording.providerRecordingID == nil else { return }
        guard let plan = HMSRecorder.Plan.decode(recording.requestJSON) else {
            throw JobOutcome.permanentFailure("recording \(id) has no recorder request")
        }
        if job.attempts > 1, let earlier = try await runningRecording(roomID: plan.roomID) {
            try await adopt(earlier, recording: recording)
            return
        }
        let started: HMSRecording
        do {
            started = try await recorder.api.startRecording(
                roomID: plan.roomID, HMSStartRequest(meetingURL: plan.meetingURL, audioOnly: plan.audioOnly ? true : nil))
        } catch let error as HMSError where error.status == 409 {
            // Already recording (a start that went through before a crash): take that one.
            guard let earlier = try await runningRecording(roomID: plan.roomID) else { throw error }
            try await adopt(earlier, recording: recording)
            return
        } catch let error as HMSError where [400, 403, 404, 422].contains(error.status) {
            _ = try await catalog.transaction { tx in
                try await tx.recordings.transition(
                    id, to: .failed, actor: HMSRecorder.provider, cause: "start refused",
                    changes: RecordingChanges(error: "100ms refused to start the recorder: \(error.message)"))
            }
            throw JobOutcome.permanentFailure(error.description)
        } catch {
            try await catalog.pool.events.append(
                NewAuditEvent(
                    recordingID: id, sessionID: recording.sessionID, type: "recording.start_retrying", actor: "system",
                    data: ["reason": "\(error)", "attempt": "\(job.attempts)"]))
            throw error
        }
        try await adopt(started, recording: recording)
    }

    /// A recording 100ms is running (or starting) in the room.
    private func runningRecording(roomID: String) async throws -> HMSRecording? {
        try await recorder.api.recordings(roomID: roomID, sessionID: nil, status: nil)
            .first { [.starting, .running].contains($0.status) }
    }

    /// Binds 100ms' recording to ours; stops it at once if ours was stopped meanwhile.
    private func adopt(_ hms: HMSRecording, recording: Recording) async throws {
        let current = try await recorder.catalog.transaction { tx -> Recording? in
            _ = try await tx.recordings.setProviderRecordingID(recording.id, hms.id)
            if hms.status == .running {
                _ = try await tx.recordings.transition(
                    recording.id, to: .recording, actor: HMSRecorder.provider, cause: "recorder running",
                    changes: RecordingChanges(startedAt: hms.startedAt))
            }
            return try await tx.recordings.find(id: recording.id)
        }
        if current?.status == .stopping {
            try await recorder.catalog.pool.jobs.enqueue(try HMSStopJob.newJob(recordingID: recording.id))
            recorder.wakeup.signal()
        }
    }
}

/// Stops 100ms' recorder. One that already stopped counts as done; what became of it is then
/// looked up (``HMSSyncJob``).
package struct HMSStopJob: RecordingJob {
    static package let kind = "hms.stop_recording"
    static package let maxAttempts = 10
    package let recorder: HMSRecorder

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        guard let hmsID = recording.providerRecordingID, recording.status.isActive else { return }
        do {
            _ = try await recorder.api.stopRecording(id: hmsID)
        } catch let error as HMSError where [400, 404, 409].contains(error.status) {
            logger.debug("100ms recording already stopped", metadata: ["recording": "\(hmsID)", "answer": "\(error)"])
        }
        try await recorder.catalog.transaction { tx in
            try await recorder.queueSync(tx, recording: recording, reason: "stopped")
        }
        recorder.wakeup.signal()
    }
}
