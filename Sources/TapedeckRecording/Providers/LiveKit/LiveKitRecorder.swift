import Foundation
import LiveKit
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// Records LiveKit sessions: applies webhooks, decides by policy, drives egress through jobs.
///
/// Every change happens in a catalog transaction written before anything is asked of LiveKit:
/// a recording is `starting` (with its start job queued) before the start request goes out, so a
/// crash at any moment leaves a row and a job that finish the work.
public struct LiveKitRecorder: Sendable {
    static package let provider = "livekit"

    package let catalog: Catalog
    package let api: any LiveKitAPI
    package let destination: EgressDestination
    package let defaultPolicy: RecordingPolicy
    package let storageBackend: String
    package let wakeup: WakeupSignal
    package let logger: Logger
    /// How long a recording may go without news before the reconciler asks LiveKit about it.
    package var reconcileStaleAfter: TimeInterval = 90
    /// Which organization a room it reports for the first time joins (`TAPEDECK_ORG_FROM`).
    package var organizationFromRoom = OrganizationFromRoom.none

    package init(
        catalog: Catalog, api: any LiveKitAPI, destination: EgressDestination, defaultPolicy: RecordingPolicy,
        storageBackend: String, wakeup: WakeupSignal, logger: Logger
    ) {
        self.catalog = catalog
        self.api = api
        self.destination = destination
        self.defaultPolicy = defaultPolicy
        self.storageBackend = storageBackend
        self.wakeup = wakeup
        self.logger = logger
    }

    /// The room's own policy, or the default when it has none; throws for a stored policy that
    /// cannot be read (the default must not decide for such a room).
    package func policy(of room: Room) throws(UnreadableRoomPolicy) -> RecordingPolicy {
        try StoredPolicy.resolve(room.policyJSON, room: room.name, defaults: defaultPolicy)
    }

    /// The room's open session, bound to LiveKit's room sid; opened if there is none (events for a
    /// room Tapedeck has not seen start open it implicitly).
    package func ensureSession(
        _ tx: CatalogSession, roomName: String, roomSID: String?, at: Date, roomMetadata: String? = nil
    ) async throws -> (Room, Session) {
        let room = try await tx.rooms.adoptIntoOrganization(
            try await tx.rooms.findOrCreate(name: roomName, provider: Self.provider),
            candidates: organizationFromRoom.candidates(roomName: roomName, metadata: roomMetadata, providerHasMetadata: true))
        if let roomSID, let known = try await tx.sessions.find(providerSessionID: roomSID, roomID: room.id) {
            return (room, known)
        }
        if let open = try await tx.sessions.open(roomID: room.id, provider: Self.provider) {
            if let roomSID, let other = open.providerSessionID, other != roomSID {
                // A new occurrence of the room while the old one never saw room_finished: close the old one.
                try await tx.participants.leaveAll(sessionID: open.id, at: at)
                try await tx.sessions.close(open.id, at: at)
            } else {
                if let roomSID { try await tx.sessions.attachProviderID(open.id, providerSessionID: roomSID) }
                return (room, open)
            }
        }
        let session = try await tx.sessions.create(
            roomID: room.id, roomName: room.name, providerSessionID: roomSID, startedAt: at)
        try await tx.events.append(
            NewAuditEvent(sessionID: session.id, type: "session.started", actor: Self.provider, data: ["room": room.name]))
        return (room, session)
    }

    /// Creates a `starting` recording and queues its start, unless the room already has an
    /// active recording (then `nil`).
    package func requestStart(
        _ tx: CatalogSession, room: Room, session: Session, plan: EgressPlan, maxDurationS: Int?, requestedBy: String,
        requestKey: String? = nil, title: String? = nil
    ) async throws -> Recording? {
        let id = UUID()
        let new = NewRecording(
            id: id, roomID: room.id, sessionID: session.id, provider: Self.provider, title: title, status: .starting,
            layout: plan.layout, audioOnly: plan.audioOnly, requestedBy: requestedBy, storage: storageBackend,
            keyPrefix: StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id), requestJSON: plan.json,
            maxDurationS: maxDurationS, requestKey: requestKey)
        guard let recording = try await tx.recordings.insertUnlessActive(new) else { return nil }
        try await tx.jobs.enqueue(try StartEgressJob.newJob(recordingID: recording.id))
        return recording
    }

    /// Asks an active recording to stop. A recording whose recorder has not started yet is
    /// marked `stopping`; its start job then aborts it (or stops the egress it just started).
    package func requestStop(_ tx: CatalogSession, recording: Recording, reason: String, actor: String) async throws {
        try await RecordingLifecycle.requestStop(
            tx, recording: recording, reason: reason, actor: actor, stopJob: try StopEgressJob.newJob(recordingID: recording.id))
    }
}
