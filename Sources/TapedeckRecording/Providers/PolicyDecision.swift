import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// Runs a room's policy against its session as it now is, for any provider whose sessions and
/// participants Tapedeck follows (LiveKit, 100ms): the same rules decide for both.
package enum PolicyDecision {
    /// Calls `start` or `stop` when the policy says so. A room whose stored policy cannot be read
    /// is left alone (the default must not decide for it); the event itself is still recorded.
    package static func apply(
        _ tx: CatalogSession, room: Room, session: Session?, trigger: PolicyTrigger,
        policy: () throws -> RecordingPolicy, provider: String, logger: Logger,
        start: (RecordingPolicy, Session) async throws -> Void,
        stop: (Recording, String) async throws -> Void
    ) async throws {
        let resolved: RecordingPolicy
        do {
            resolved = try policy()
        } catch {
            logger.error(
                "not applying a policy to room \(room.name): \(error)", metadata: ["room": "\(room.name)", "trigger": "\(trigger)"])
            return
        }
        let active = try await tx.recordings.active(roomID: room.id)
        var presence = Presence(people: 0, hosts: 0)
        if let session { presence = try await tx.participants.presence(sessionID: session.id) }
        let snapshot = SessionSnapshot(
            people: presence.people, hosts: presence.hosts, hasActiveRecording: active != nil,
            activeRecordingStartedAt: active?.startedAt)
        switch PolicyEngine.decide(policy: resolved, snapshot: snapshot, trigger: trigger, now: tx.clock.now()) {
        case .startRecording:
            guard let session else { return }
            try await start(resolved, session)
        case .stopRecording(let reason):
            // Only the provider's own recording: another's recorder is not this one's to stop.
            if let active, active.provider == provider { try await stop(active, reason) }
        case .none:
            break
        }
    }
}
