import Foundation
import HMS
import TapedeckCore
import TapedeckStore

extension HMSRecorder {
    /// 100ms pauses per room: its recorder keeps the session but writes nothing until resumed,
    /// so the file it makes leaves the paused stretch out. The recording stays `recording`, says it
    /// is paused, and keeps the stretch (cues are placed with it taken out); the audit trail says
    /// who paused and resumed it and when. Asking twice is harmless: 100ms' "nothing to pause"
    /// for a recording it still reports running is taken as already done.
    package func setPaused(_ paused: Bool, recording: Recording, actor: String) async throws {
        guard recording.status == .recording else { throw RecordingPauseError.notRecording(recording.status) }
        if paused, recording.pausedAt == nil, recording.pauses.count >= PausedStretches.maximumCount {
            throw RecordingPauseError.tooManyPauses
        }
        guard let plan = Plan.decode(recording.requestJSON) else {
            throw RecordingPauseError.provider("this recording has no 100ms room id")
        }
        // The recorder stops writing somewhere between the request and 100ms' answer: the stretch
        // starts at the request and ends at the answer, so no cue is placed in media that is not there.
        let requestedAt = catalog.clock.now()
        do {
            _ = paused ? try await api.pauseRecordings(roomID: plan.roomID) : try await api.resumeRecordings(roomID: plan.roomID)
        } catch let error as HMSError where error.status == 404 {
            guard let id = recording.providerRecordingID, try await api.recording(id: id).status == .running else {
                throw RecordingPauseError.provider("100ms has no running recording in this room")
            }
        } catch let error as HMSError {
            throw RecordingPauseError.provider(error.message)
        }
        try await RecordingPauses.note(
            paused, at: paused ? requestedAt : catalog.clock.now(), recording: recording, actor: actor, provider: Self.provider,
            catalog: catalog)
    }
}
