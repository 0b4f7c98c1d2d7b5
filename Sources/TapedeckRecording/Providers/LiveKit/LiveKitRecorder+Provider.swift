import Foundation
import LiveKit
import TapedeckCore
import TapedeckStore

/// LiveKit as a ``RecordingProvider``: its reports are verified webhooks.
extension LiveKitRecorder: RecordingProvider {
    package var name: String { Self.provider }

    /// The room's policy with the request's choices on top, refused at once for a room LiveKit
    /// does not have (rather than failing later in the start job).
    package func start(_ request: RecordingStartRequest) async throws -> Recording {
        guard case .composite(let layout, let audioOnly, let outputs) = request.options else {
            throw RecordingStartError.invalid(field: "provider", message: "this request is not for provider livekit")
        }
        let room = request.room
        var policy = defaultPolicy
        do {
            if let stored = try await catalog.pool.rooms.find(name: room, provider: Self.provider) { policy = try self.policy(of: stored) }
        } catch let error as UnreadableRoomPolicy {
            throw RecordingStartError.policyUnreadable(error.description)
        }
        if let layout { policy.layout = layout }
        if let audioOnly { policy.audioOnly = audioOnly }
        if let outputs { policy.outputs = outputs }
        if let max = request.maxDurationS { policy.maxDurationS = max }
        if let problem = policy.validationError() { throw RecordingStartError.invalid(field: problem.field, message: problem.message) }

        let rooms: [RoomInfo]
        do {
            rooms = try await api.listRooms(names: [room])
        } catch {
            throw RecordingStartError.unavailable("LiveKit did not answer: \(error)")
        }
        guard let live = rooms.first(where: { $0.name == room }) else { throw RecordingStartError.roomNotFound(room) }
        let now = catalog.clock.now()
        let plan = EgressPlan(policy: policy)
        let maxDurationS = policy.maxDurationS
        let (started, active) = try await catalog.transaction { tx -> (Recording?, Recording?) in
            let (roomRow, session) = try await ensureSession(
                tx, roomName: room, roomSID: live.sid,
                at: live.creationTime.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? now)
            let started = try await requestStart(
                tx, room: roomRow, session: session, plan: plan, maxDurationS: maxDurationS,
                requestedBy: request.requestedBy, requestKey: request.requestKey, title: request.title)
            return (started, started == nil ? try await tx.recordings.active(roomID: roomRow.id) : nil)
        }
        guard let started else { throw RecordingStartError.alreadyActive(room: room, recording: active?.id) }
        wakeup.signal()
        return started
    }

    package func reconcile() async throws {
        try await LiveKitReconciler(recorder: self, staleAfter: reconcileStaleAfter).run()
    }

    /// A webhook names an egress that writes into the recording's folder (see ``writes(_:into:)``
    /// on ``EgressInfo``); other events write nothing.
    package func writes(_ report: WebhookEvent, into recording: Recording) -> Bool {
        guard let info = report.egress else { return false }
        return writes(info, into: recording)
    }
}
