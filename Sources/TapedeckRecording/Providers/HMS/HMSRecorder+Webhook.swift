import Foundation
import HMS
import TapedeckCore
import TapedeckStore

package extension HMSRecorder {
    /// Applies one webhook (already authenticated by its secret header) in a single transaction,
    /// with its de-duplication record. Recording outcomes are only queued for confirmation.
    package func apply(_ delivered: HMSWebhookEvent) async throws -> ProviderReportOutcome {
        let event = delivered.cleanedForCatalog()
        // Queued jobs run now, not at the next poll; a webhook that queued none (most of them)
        // wakes nobody, as each wake-up costs the worker a claim.
        let outcome = try await catalog.transactionWaking(wakeup) { tx -> ProviderReportOutcome in
            guard try await tx.inboundEvents.firstDelivery(provider: Self.provider, eventID: event.id) else { return .duplicate }
            if let name = event.data.roomName, ProviderText.hasControlCharacters(name) || name.unicodeScalars.count > 256 {
                logger.notice("100ms webhook for a room whose name Tapedeck cannot keep; not recorded", metadata: ["id": "\(event.id)"])
                return .ignored
            }
            return try await applyInTransaction(tx, event)
        }
        return outcome
    }

    package func applyInTransaction(_ tx: CatalogSession, _ event: HMSWebhookEvent) async throws -> ProviderReportOutcome {
        let data = event.data
        let at = event.timestamp ?? tx.clock.now()
        switch event.type {
        case "session.open.success":
            guard let roomName = data.roomName else { return .ignored }
            _ = try await ensureSession(
                tx, roomName: roomName, roomID: data.roomID, sessionID: data.sessionID, at: data.sessionStartedAt ?? at)
            return .applied

        case "session.close.success":
            guard let (room, session) = try await knownSession(tx, data) else { return .ignored }
            let ended = data.sessionStoppedAt ?? at
            try await tx.participants.leaveAll(sessionID: session.id, at: ended)
            try await tx.sessions.close(session.id, at: ended)
            try await tx.events.append(
                NewAuditEvent(sessionID: session.id, type: "session.ended", actor: Self.provider, data: ["room": room.name]))
            try await decide(tx, room: room, session: session, trigger: .roomFinished)
            return .applied

        case "peer.join.success":
            guard let roomName = data.roomName, let identity = data.userID ?? data.peerID, !identity.isEmpty,
                !Self.isRecorderPeer(role: data.role, userID: data.userID)
            else { return .ignored }
            let joined = data.joinedAt ?? at
            let (room, session) = try await ensureSession(
                tx, roomName: roomName, roomID: data.roomID, sessionID: data.sessionID, at: joined)
            let isHost = (try? policy(of: room)).map { policy in
                policy.hosts.contains(identity) || (data.role.map(policy.hostRoles.contains) ?? false)
            } ?? false
            try await tx.participants.join(sessionID: session.id, identity: identity, name: data.userName, isHost: isHost, at: joined)
            try await decide(tx, room: room, session: session, trigger: .participantJoined(isHost: isHost))
            return .applied

        case "peer.leave.success":
            guard let identity = data.userID ?? data.peerID, !Self.isRecorderPeer(role: data.role, userID: data.userID),
                let (room, session) = try await knownSession(tx, data)
            else { return .ignored }
            let wasHost = try await tx.participants.leave(sessionID: session.id, identity: identity, at: data.leftAt ?? at)
            try await decide(tx, room: room, session: session, trigger: .participantLeft(wasHost: wasHost))
            return .applied

        case "beam.started.success", "beam.stopped.success", "beam.recording.success", "beam.failure", "recording.success",
            "recording.failed":
            // A webhook only says where to look: the sync job asks 100ms about the recording bound
            // to it, and only 100ms' answer changes anything.
            guard let recording = try await recording(for: data, tx), !recording.status.isFinal else { return .ignored }
            try await queueSync(tx, recording: recording, reason: "webhook:\(event.id)")
            return .applied

        case "transcription.success":
            // Only the recording it names: a transcript is never another recording's captions.
            guard let named = try await namedRecording(data, tx), let recording = named,
                [.ready, .processing, .recording, .stopping].contains(recording.status)
            else { return .ignored }
            try await tx.jobs.enqueue(try HMSTranscriptJob.newJob(recordingID: recording.id, reason: "webhook:\(event.id)"))
            // The summary (`summary_json`) comes with the transcript; the job asks 100ms for it.
            try await tx.jobs.enqueue(try HMSSideFilesJob.newJob(recordingID: recording.id, reason: "webhook:\(event.id)"))
            return .applied

        default:
            return .ignored
        }
    }

    /// The recording 100ms' ids in `data` name: nil when they name none, `.some(nil)` when the
    /// one they name is another room's (bound to this room's recordings only).
    private func namedRecording(_ data: HMSWebhookData, _ tx: CatalogSession) async throws -> Recording?? {
        for id in [data.recordingID, data.jobID, data.beamID].compactMap({ $0 }) {
            if let found = try await tx.recordings.find(provider: Self.provider, providerRecordingID: id) {
                if let name = data.roomName, found.roomName != name { return .some(nil) }
                return found
            }
        }
        return nil
    }

    /// The session a room-level event names: by 100ms' session id, else the room's open one.
    private func knownSession(_ tx: CatalogSession, _ data: HMSWebhookData) async throws -> (Room, Session)? {
        guard let roomName = data.roomName, let room = try await tx.rooms.find(name: roomName, provider: Self.provider) else {
            return nil
        }
        if let sessionID = data.sessionID, let session = try await tx.sessions.find(providerSessionID: sessionID, roomID: room.id) {
            return (room, session)
        }
        return try await tx.sessions.open(roomID: room.id, provider: Self.provider).map { (room, $0) }
    }

    /// The recording a beam event is about: by 100ms' recording id (job or beam id), else the
    /// room's active 100ms recording (one whose recorder id is not saved yet: its sync then asks
    /// 100ms about nothing until it is, so a stray event cannot move it).
    private func recording(for data: HMSWebhookData, _ tx: CatalogSession) async throws -> Recording? {
        if let named = try await namedRecording(data, tx) { return named }
        guard let roomName = data.roomName, let room = try await tx.rooms.find(name: roomName, provider: Self.provider),
            let active = try await tx.recordings.active(roomID: room.id), active.provider == Self.provider
        else { return nil }
        return active
    }

    /// Runs the room's policy against its session as it now is.
    package func decide(_ tx: CatalogSession, room: Room, session: Session?, trigger: PolicyTrigger) async throws {
        try await PolicyDecision.apply(
            tx, room: room, session: session, trigger: trigger, policy: { try self.policy(of: room) }, provider: Self.provider,
            logger: logger,
            start: { policy, session in
                _ = try await requestStart(tx, room: room, session: session, policy: policy, requestedBy: "policy")
            },
            stop: { active, reason in try await requestStop(tx, recording: active, reason: reason, actor: "policy") })
    }
}

package extension HMSWebhookEvent {
    /// Every free-text field 100ms relays from its users, cleaned of control characters so that
    /// storing it cannot fail. Room names are kept: a room whose name has control characters is
    /// not recorded at all.
    package func cleanedForCatalog() -> HMSWebhookEvent {
        var event = self
        event.id = ProviderText.cleaned(id)
        event.data.userID = data.userID.map(ProviderText.cleaned)
        event.data.userName = data.userName.map(ProviderText.cleaned)
        event.data.peerID = data.peerID.map(ProviderText.cleaned)
        event.data.role = data.role.map(ProviderText.cleaned)
        event.data.sessionID = data.sessionID.map(ProviderText.cleaned)
        event.data.roomID = data.roomID.map(ProviderText.cleaned)
        event.data.reason = data.reason.map(ProviderText.cleaned)
        event.data.errorType = data.errorType.map(ProviderText.cleaned)
        event.data.errorMessage = data.errorMessage.map(ProviderText.cleaned)
        for key in [\HMSWebhookData.recordingID, \.jobID, \.beamID] { event.data[keyPath: key] = event.data[keyPath: key].map(ProviderText.cleaned) }
        return event
    }
}
