import Foundation
import LiveKit
import TapedeckCore
import TapedeckStore

/// What happened to a delivered webhook.
package extension LiveKitRecorder {
    /// Applies one verified webhook in a single transaction, with its de-duplication record.
    package func apply(_ delivered: WebhookEvent) async throws -> ProviderReportOutcome {
        let event = delivered.cleanedForCatalog()
        // Queued jobs run now, not at the next poll; a webhook that queued none (most of them)
        // wakes nobody, as each wake-up costs the worker a claim.
        let outcome = try await catalog.transactionWaking(wakeup) { tx -> ProviderReportOutcome in
            guard try await tx.inboundEvents.firstDelivery(provider: Self.provider, eventID: event.id) else {
                return .duplicate
            }
            if event.hasUnusableRoomName {
                logger.notice(
                    "webhook for a room whose name has control characters; not recorded",
                    metadata: ["event": "\(event.event)", "id": "\(event.id)"])
                return .ignored
            }
            return try await applyInTransaction(tx, event)
        }
        return outcome
    }

    package func applyInTransaction(_ tx: CatalogSession, _ event: WebhookEvent) async throws -> ProviderReportOutcome {
        let at = event.createdAt.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? tx.clock.now()
        switch event.event {
        case "room_started":
            guard let room = event.room else { return .ignored }
            let started = room.creationTime.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? at
            _ = try await ensureSession(tx, roomName: room.name, roomSID: room.sid, at: started, roomMetadata: room.metadata)
            return .applied

        case "room_finished":
            guard let roomInfo = event.room else { return .ignored }
            guard let room = try await tx.rooms.find(name: roomInfo.name, provider: Self.provider) else { return .ignored }
            var session: Session?
            if let sid = roomInfo.sid { session = try await tx.sessions.find(providerSessionID: sid, roomID: room.id) }
            if session == nil { session = try await tx.sessions.open(roomID: room.id, provider: Self.provider) }
            if let session {
                try await tx.participants.leaveAll(sessionID: session.id, at: at)
                try await tx.sessions.close(session.id, at: at)
                try await tx.events.append(
                    NewAuditEvent(sessionID: session.id, type: "session.ended", actor: Self.provider, data: ["room": room.name]))
            }
            try await decide(tx, room: room, session: session, trigger: .roomFinished)
            return .applied

        case "participant_joined":
            guard let roomInfo = event.room, let participant = event.participant, participant.kind.isPerson else {
                return .ignored
            }
            let joined = participant.joinedAt.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? at
            let (room, session) = try await ensureSession(
                tx, roomName: roomInfo.name, roomSID: roomInfo.sid, at: joined, roomMetadata: roomInfo.metadata)
            // Without a readable policy there is no host rule: the participant is kept, not a host.
            let isHost = (try? policy(of: room)).map {
                HostRule.isHost(
                    identity: participant.identity, attributes: participant.attributes, metadata: participant.metadata,
                    policy: $0)
            } ?? false
            try await tx.participants.join(
                sessionID: session.id, identity: participant.identity, name: participant.name, isHost: isHost, at: joined)
            try await decide(tx, room: room, session: session, trigger: .participantJoined(isHost: isHost))
            return .applied

        case "participant_left", "participant_connection_aborted":
            guard let roomInfo = event.room, let participant = event.participant, participant.kind.isPerson,
                let room = try await tx.rooms.find(name: roomInfo.name, provider: Self.provider)
            else { return .ignored }
            var session: Session?
            if let sid = roomInfo.sid { session = try await tx.sessions.find(providerSessionID: sid, roomID: room.id) }
            if session == nil { session = try await tx.sessions.open(roomID: room.id, provider: Self.provider) }
            guard let session else { return .ignored }
            let wasHost = try await tx.participants.leave(sessionID: session.id, identity: participant.identity, at: at)
            try await decide(tx, room: room, session: session, trigger: .participantLeft(wasHost: wasHost))
            return .applied

        case "egress_started", "egress_updated", "egress_ended":
            guard let info = event.egress else { return .ignored }
            return try await applyEgress(tx, info, actor: Self.provider) ? .applied : .ignored

        default:
            return .ignored
        }
    }

    /// Runs the room's policy against its session as it now is.
    package func decide(_ tx: CatalogSession, room: Room, session: Session?, trigger: PolicyTrigger) async throws {
        try await PolicyDecision.apply(
            tx, room: room, session: session, trigger: trigger, policy: { try self.policy(of: room) }, provider: Self.provider,
            logger: logger,
            start: { policy, session in
                _ = try await requestStart(
                    tx, room: room, session: session, plan: EgressPlan(policy: policy), maxDurationS: policy.maxDurationS,
                    requestedBy: "policy")
            },
            stop: { active, reason in try await requestStop(tx, recording: active, reason: reason, actor: "policy") })
    }
}
