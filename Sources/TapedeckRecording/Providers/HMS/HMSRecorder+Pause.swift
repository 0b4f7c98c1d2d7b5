import Foundation
import HMS
import TapedeckCore
import TapedeckStore

extension HMSRecorder {
    /// How long a pause or resume holds its recording's lease: longer than the 100ms client's
    /// worst case (four attempts of 15 s, with backoff, and the lookup after a 404), so a slow
    /// answer is still noted before another request may start; after a `kill -9` mid-call the
    /// recording can be paused again once it lapses.
    package static let pauseLeaseSeconds: TimeInterval = 90

    /// 100ms pauses per room: its recorder keeps the session but writes nothing until resumed,
    /// so the file it makes leaves the paused stretch out. The recording stays `recording`, says it
    /// is paused, and keeps the stretch (cues are placed with it taken out); the audit trail says
    /// who paused and resumed it and when. Asking twice is harmless: 100ms' "nothing to pause"
    /// for a recording it still reports running is taken as already done.
    ///
    /// One pause or resume per recording at a time, across instances: the recording's lease is
    /// taken before 100ms is asked and given back once the answer is noted, so stretches follow
    /// the order the requests took effect, not the order 100ms happened to answer them in. A
    /// request while one is under way is refused (``RecordingPauseError/inProgress``).
    package func setPaused(_ paused: Bool, recording: Recording, actor: String) async throws {
        guard recording.status == .recording else { throw RecordingPauseError.notRecording(recording.status) }
        if paused, recording.pausedAt == nil, recording.pauses.count >= PausedStretches.maximumCount {
            throw RecordingPauseError.tooManyPauses
        }
        guard let plan = Plan.decode(recording.requestJSON) else {
            throw RecordingPauseError.provider("this recording has no 100ms room id")
        }
        let now = catalog.clock.now()
        let leaseUntil = now.addingTimeInterval(Self.pauseLeaseSeconds).millisecondsSince1970
        guard
            try await catalog.pool.recordings.takePauseLease(
                recording.id, nowMs: now.millisecondsSince1970, untilMs: leaseUntil)
        else { throw RecordingPauseError.inProgress }
        do {
            try await pauseHoldingLease(paused, recording: recording, plan: plan, actor: actor)
        } catch {
            try? await catalog.pool.recordings.releasePauseLease(recording.id, untilMs: leaseUntil)
            throw error
        }
        try await catalog.pool.recordings.releasePauseLease(recording.id, untilMs: leaseUntil)
    }

    private func pauseHoldingLease(_ paused: Bool, recording: Recording, plan: Plan, actor: String) async throws {
        let sentAt = catalog.clock.now()
        do {
            _ = paused ? try await api.pauseRecordings(roomID: plan.roomID) : try await api.resumeRecordings(roomID: plan.roomID)
        } catch let error as HMSError where error.status == 404 {
            guard let id = recording.providerRecordingID, try await api.recording(id: id).status == .running else {
                throw RecordingPauseError.provider("100ms has no running recording in this room")
            }
        } catch let error as HMSError {
            throw RecordingPauseError.provider(error.message)
        }
        let at = Date(
            millisecondsSince1970: PausedStretches.appliedAt(
                sentMs: sentAt.millisecondsSince1970, answeredMs: catalog.clock.now().millisecondsSince1970))
        // 100ms pauses (and resumes) every recording running in its room, so the stretch goes on
        // each of Tapedeck's recordings of that 100ms room (rooms of other names may share it)
        // that is recording; a resume also closes the stretch of one that has since been stopped.
        let roommates = try await catalog.pool.recordings.list(provider: Self.provider, statuses: [.recording, .stopping]).filter {
            $0.id != recording.id && Plan.decode($0.requestJSON)?.roomID == plan.roomID
                && (paused ? $0.status == .recording : $0.pausedAt != nil)
        }
        try await RecordingPauses.note(
            paused, at: at, recording: recording, alsoOn: roommates, actor: actor, provider: Self.provider, catalog: catalog)
    }
}
