import Foundation
import HMS
import Logging
import TapedeckCore
import TapedeckStore

/// Records 100ms sessions: follows their peers through webhooks, applies the room's policy,
/// drives 100ms' browser recorder over REST, and copies its files into Tapedeck's storage
/// before 100ms deletes them (15 days).
///
/// 100ms signs nothing: a webhook only says where to look. Nothing irreversible (ready, failed,
/// a copy) happens before 100ms' REST API, asked by Tapedeck, confirms it.
public struct HMSRecorder: Sendable {
    static package let provider = "100ms"
    package let catalog: Catalog
    package let api: any HMSAPI
    package let defaultPolicy: RecordingPolicy
    package let storageBackend: String
    package let wakeup: WakeupSignal
    package let logger: Logger
    /// The recorder's join URL, with `{room_id}`, for templates without a 100ms subdomain.
    package var meetingURLTemplate: String?
    /// How long a recording may go without news before the reconciler asks 100ms about it.
    package var reconcileStaleAfter: TimeInterval = 90
    /// Tapedeck's bucket, when 100ms can upload into it: its files there are checked, not copied.
    package var ownBucket: HMSOwnBucket?
    /// Which organization a room it reports for the first time joins (`TAPEDECK_ORG_FROM`).
    package var organizationFromRoom = OrganizationFromRoom.none
    /// What language 100ms' transcripts are filed under.
    package var transcriptLanguage = LanguageTag("en")!

    package init(
        catalog: Catalog, api: any HMSAPI, defaultPolicy: RecordingPolicy, storageBackend: String, wakeup: WakeupSignal,
        logger: Logger, meetingURLTemplate: String? = nil
    ) {
        self.catalog = catalog
        self.api = api
        self.defaultPolicy = defaultPolicy
        self.storageBackend = storageBackend
        self.wakeup = wakeup
        self.logger = logger
        self.meetingURLTemplate = meetingURLTemplate
    }

    /// What the start job sends, kept in the recording's `request_json`.
    package struct Plan: Codable, Sendable, Equatable {
        package var roomID: String
        package var audioOnly: Bool
        package var meetingURL: String?

        package enum CodingKeys: String, CodingKey {
            case roomID = "room_id", audioOnly = "audio_only", meetingURL = "meeting_url"
        }

        package var json: String { String(decoding: (try? JSONEncoder().encode(self)) ?? Data("{}".utf8), as: UTF8.self) }

        package static func decode(_ json: String?) -> Plan? {
            json.flatMap { try? JSONDecoder().decode(Plan.self, from: Data($0.utf8)) }
        }
    }

    package func policy(of room: Room) throws(UnreadableRoomPolicy) -> RecordingPolicy {
        try StoredPolicy.resolve(room.policyJSON, room: room.name, defaults: defaultPolicy)
    }

    /// 100ms' recorder joins as a peer of its own; it is never a participant.
    static package func isRecorderPeer(role: String?, userID: String?) -> Bool {
        let role = (role ?? "").lowercased()
        return role.hasPrefix("__internal") || role == "beam" || role == "recorder"
    }

    /// The room's open session, bound to 100ms' session id; opened if there is none.
    package func ensureSession(
        _ tx: CatalogSession, roomName: String, roomID: String?, sessionID: String?, at: Date
    ) async throws -> (Room, Session) {
        var room = try await tx.rooms.adoptIntoOrganization(
            try await tx.rooms.findOrCreate(name: roomName, provider: Self.provider),
            candidates: organizationFromRoom.candidates(roomName: roomName, metadata: nil, providerHasMetadata: false))
        if let roomID, room.providerRoomID != roomID, roomID.utf8.count <= 200 {
            try await tx.rooms.setProviderRoomID(room.id, roomID)
            room.providerRoomID = roomID
        }
        if let sessionID, let known = try await tx.sessions.find(providerSessionID: sessionID, roomID: room.id) {
            return (room, known)
        }
        if let open = try await tx.sessions.open(roomID: room.id, provider: Self.provider) {
            if let sessionID, let other = open.providerSessionID, other != sessionID {
                try await tx.participants.leaveAll(sessionID: open.id, at: at)
                try await tx.sessions.close(open.id, at: at)
            } else {
                if let sessionID { try await tx.sessions.attachProviderID(open.id, providerSessionID: sessionID) }
                return (room, open)
            }
        }
        let session = try await tx.sessions.create(roomID: room.id, roomName: room.name, providerSessionID: sessionID, startedAt: at)
        try await tx.events.append(
            NewAuditEvent(sessionID: session.id, type: "session.started", actor: Self.provider, data: ["room": room.name]))
        return (room, session)
    }

    /// The join URL for the recorder, from the template when one is set.
    package func meetingURL(roomID: String) -> String? {
        meetingURLTemplate.map { $0.replacingOccurrences(of: "{room_id}", with: roomID) }
    }

    /// Creates a `starting` recording and queues its start, unless the room already has an active
    /// recording (then `nil`).
    package func requestStart(
        _ tx: CatalogSession, room: Room, session: Session, policy: RecordingPolicy, requestedBy: String,
        requestKey: String? = nil, title: String? = nil
    ) async throws -> Recording? {
        guard let roomID = room.providerRoomID else { return nil }
        let id = UUID()
        let plan = Plan(roomID: roomID, audioOnly: policy.audioOnly, meetingURL: meetingURL(roomID: roomID))
        let new = NewRecording(
            id: id, roomID: room.id, sessionID: session.id, provider: Self.provider, title: title, status: .starting,
            layout: nil, audioOnly: policy.audioOnly, requestedBy: requestedBy, storage: storageBackend,
            keyPrefix: StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id), requestJSON: plan.json,
            maxDurationS: policy.maxDurationS, requestKey: requestKey)
        guard let recording = try await tx.recordings.insertUnlessActive(new) else { return nil }
        try await tx.jobs.enqueue(try HMSStartJob.newJob(recordingID: recording.id))
        return recording
    }

    /// Asks an active recording to stop; one whose recorder has not started yet is aborted by
    /// its start job.
    package func requestStop(_ tx: CatalogSession, recording: Recording, reason: String, actor: String) async throws {
        try await RecordingLifecycle.requestStop(
            tx, recording: recording, reason: reason, actor: actor, stopJob: try HMSStopJob.newJob(recordingID: recording.id, reason: "request"))
    }

    /// Queues a look at what 100ms says about the recording (and the copy of its files when it is
    /// complete). `reason` keeps each trigger its own job: a webhook, a reconciler pass.
    package func queueSync(_ tx: CatalogSession, recording: Recording, reason: String) async throws {
        try await tx.jobs.enqueue(try HMSSyncJob.newJob(recordingID: recording.id, reason: reason))
    }
}
