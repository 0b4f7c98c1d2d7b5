import Foundation
import LiveKit
import Logging
import TapedeckCore
import TapedeckStore

/// Brings the catalog to LiveKit's truth when webhooks went missing.
///
/// Each run: recordings past their maximum duration are stopped; recordings with no news for a
/// while are looked up with `ListEgress` and moved to the state LiveKit reports (an egress
/// LiveKit no longer knows fails the recording); sessions whose room no longer exists are closed.
package struct LiveKitReconciler: Sendable {
    package let recorder: LiveKitRecorder
    package let staleAfter: TimeInterval

    static package let batch = 100

    package func run() async throws {
        let catalog = recorder.catalog
        let now = catalog.clock.now()
        var queued = false

        for recording in try await catalog.pool.recordings.overLimit(provider: LiveKitRecorder.provider, now: now, limit: Self.batch) {
            try await catalog.transaction { tx in
                try await recorder.requestStop(
                    tx, recording: recording, reason: "maximum duration of \(recording.maxDurationS ?? 0) s reached",
                    actor: "reconciler")
            }
            queued = true
        }

        let stale = try await catalog.pool.recordings.stale(
            provider: LiveKitRecorder.provider, statuses: [.starting, .recording, .stopping],
            updatedBefore: now.addingTimeInterval(-staleAfter), limit: Self.batch)
        for recording in stale {
            do {
                queued = try await reconcile(recording) || queued
            } catch {
                // One recording LiveKit could not be asked about must not hold up the others.
                recorder.logger.warning(
                    "could not reconcile a recording", metadata: ["recording": "\(recording.id)", "error": "\(error)"])
            }
        }

        try await closeFinishedSessions(now: now)
        if queued { recorder.wakeup.signal() }
    }

    /// Returns whether a job was queued.
    package func reconcile(_ recording: Recording) async throws -> Bool {
        let catalog = recorder.catalog
        guard let egressID = recording.providerRecordingID else {
            // Still waiting for its recorder: the start job decides, unless it gave up or vanished.
            let key = "\(StartEgressJob.kind):\(recording.id.uuidString.lowercased())"
            let job = try await catalog.pool.jobs.find(idempotencyKey: key)
            switch job?.state {
            case .dead?:
                _ = try await catalog.transaction { tx in
                    try await tx.recordings.transition(
                        recording.id, to: .failed, actor: "reconciler", cause: "recorder never started",
                        changes: RecordingChanges(error: "the recorder could not be started: \(job?.lastError ?? "unknown error")"))
                }
                return false
            case nil, .done?:
                try await catalog.pool.jobs.enqueue(try StartEgressJob.newJob(recordingID: recording.id))
                try await catalog.pool.recordings.touch(recording.id)
                return true
            default:
                try await catalog.pool.recordings.touch(recording.id)
                return false
            }
        }
        let reported = try await recorder.api.listEgress(roomName: nil, egressID: egressID, activeOnly: false)
        let info = reported.first(where: { $0.egressID == egressID })
        try await catalog.transaction { tx in
            if let info {
                try await recorder.applyEgress(tx, info, actor: "reconciler")
            } else {
                _ = try await tx.recordings.transition(
                    recording.id, to: .failed, actor: "reconciler", cause: "egress unknown to LiveKit",
                    changes: RecordingChanges(error: "LiveKit no longer knows egress \(egressID); its outcome was never reported"))
            }
            // Checked now: look again only after another quiet spell.
            try await tx.recordings.touch(recording.id)
        }
        guard let info, !info.status.hasEnded, info.status != .ending else { return false }
        return try await reconcilePresence(recording)
    }

    /// A recording still running in a room LiveKit keeps open: who LiveKit says is in the room is
    /// compared with who the catalog thinks is, and the room's policy applied to the difference, so
    /// that lost `participant_left` webhooks cannot keep a recorder running for an empty room.
    /// Returns whether a stop was queued.
    package func reconcilePresence(_ recording: Recording) async throws -> Bool {
        guard let sessionID = recording.sessionID else { return false }
        // Someone whose participant_joined lands while LiveKit is being asked is not in its
        // answer yet: only participants who joined before the question can be found gone.
        let asked = recorder.catalog.clock.now()
        let people: [ParticipantInfo]
        do {
            people = try await recorder.api.listParticipants(room: recording.roomName).filter(\.kind.isPerson)
        } catch let error as TwirpError where error.code == "not_found" {
            return false  // the room is gone: closeFinishedSessions ends the session
        }
        let present = Set(people.map { ProviderText.cleaned($0.identity) })
        let catalog = recorder.catalog
        let now = catalog.clock.now()
        return try await catalog.transaction { tx in
            guard let room = try await tx.rooms.find(id: recording.roomID),
                let session = try await tx.sessions.find(id: sessionID), session.endedAt == nil
            else { return false }
            var gone: [String] = []
            var hostLeft = false
            for participant in try await tx.participants.list(sessionID: sessionID)
            where participant.leftAt == nil && participant.joinedAt < asked && !present.contains(participant.identity) {
                hostLeft = try await tx.participants.leave(sessionID: sessionID, identity: participant.identity, at: now) || hostLeft
                gone.append(participant.identity)
            }
            guard !gone.isEmpty else { return false }
            try await tx.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: sessionID, type: "session.presence_reconciled", actor: "reconciler",
                    data: ["left": gone.sorted().joined(separator: ","), "cause": "no longer in the room in LiveKit"]))
            let before = try await tx.recordings.find(id: recording.id)?.status
            try await recorder.decide(tx, room: room, session: session, trigger: .participantLeft(wasHost: hostLeft))
            return try await tx.recordings.find(id: recording.id)?.status != before
        }
    }

    /// Sessions still open for rooms LiveKit no longer has: their room_finished was lost.
    package func closeFinishedSessions(now: Date) async throws {
        let catalog = recorder.catalog
        let open = try await catalog.pool.sessions.openSessions(
            provider: LiveKitRecorder.provider, startedBefore: now.addingTimeInterval(-staleAfter), limit: Self.batch)
        guard !open.isEmpty else { return }
        let live = Set(try await recorder.api.listRooms(names: Array(Set(open.map(\.1)))).map(\.name))
        for (session, roomName) in open where !live.contains(roomName) {
            try await catalog.transaction { tx in
                try await tx.participants.leaveAll(sessionID: session.id, at: now)
                try await tx.sessions.close(session.id, at: now)
                try await tx.events.append(
                    NewAuditEvent(
                        sessionID: session.id, type: "session.ended", actor: "reconciler",
                        data: ["room": roomName, "cause": "room no longer exists in LiveKit"]))
                if let room = try await tx.rooms.find(id: session.roomID) {
                    try await recorder.decide(tx, room: room, session: session, trigger: .roomFinished)
                }
            }
        }
    }
}
