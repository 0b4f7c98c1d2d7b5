import Foundation
import Media
import TapedeckCore
import TapedeckStore

/// `provider: "local"`: Tapedeck records an input URL itself with ffmpeg, no media server needed.
/// The recording and its job are written in one transaction; ``LocalRecordJob`` runs ffmpeg.
public struct LocalRecorder: Sendable {
    static package let provider = "local"
    package let catalog: Catalog
    package let storageBackend: String
    package let wakeup: WakeupSignal

    package init(catalog: Catalog, storageBackend: String, wakeup: WakeupSignal) {
        self.catalog = catalog
        self.storageBackend = storageBackend
        self.wakeup = wakeup
    }

    /// What the job needs to know, kept in the recording's `request_json`.
    package struct Request: Codable, Sendable {
        package var input: String
    }

    public struct Start: Sendable {
        public var room: String
        public var input: String
        public var maxDurationS: Int?
        public var title: String?
        /// Identities that took part: they may watch it with a viewer token.
        public var participants: [String]
        public var requestedBy: String
        public var requestKey: String?

        public init(
            room: String, input: String, maxDurationS: Int? = nil, title: String? = nil, participants: [String] = [],
            requestedBy: String, requestKey: String? = nil
        ) {
            self.room = room
            self.input = input
            self.maxDurationS = maxDurationS
            self.title = title
            self.participants = participants
            self.requestedBy = requestedBy
            self.requestKey = requestKey
        }
    }

    /// A `starting` recording in a new session of the room, and its job; `nil` when the room is
    /// already being recorded.
    package func start(_ tx: CatalogSession, _ start: Start) async throws -> Recording? {
        let now = tx.clock.now()
        let room = try await tx.rooms.findOrCreate(name: start.room, provider: Self.provider)
        if try await tx.recordings.active(roomID: room.id) != nil { return nil }
        let session = try await tx.sessions.create(roomID: room.id, roomName: room.name, providerSessionID: nil, startedAt: now)
        for identity in start.participants {
            try await tx.participants.join(sessionID: session.id, identity: identity, name: nil, isHost: false, at: now)
        }
        let request = String(decoding: try JSONEncoder().encode(Request(input: start.input)), as: UTF8.self)
        let id = UUID()
        let new = NewRecording(
            id: id, roomID: room.id, sessionID: session.id, provider: Self.provider, title: start.title, status: .starting,
            requestedBy: start.requestedBy, storage: storageBackend,
            keyPrefix: StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id), requestJSON: request,
            maxDurationS: start.maxDurationS, requestKey: start.requestKey)
        guard let recording = try await tx.recordings.insertUnlessActive(new) else { return nil }
        try await tx.jobs.enqueue(try LocalRecordJob.newJob(recordingID: recording.id))
        return recording
    }

    /// Marks the recording `stopping`; its job sees that and lets ffmpeg finish the last segment.
    package func requestStop(_ tx: CatalogSession, recording: Recording, reason: String, actor: String) async throws {
        if recording.status == .starting || recording.status == .recording || recording.status == .scheduled {
            _ = try await tx.recordings.transition(recording.id, to: .stopping, actor: actor, cause: reason)
        }
    }
}
