import Foundation
import HMS
import Logging
import Media
import ObjectStorage
import Synchronization
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// The 100ms side of a worker in one process: a scratch catalog on a manual clock, a local
/// store, 100ms faked in memory with its files served over HTTP from a folder, and the job
/// handlers. Tests send webhooks as 100ms would, then run the jobs.
struct HMSFlow: Sendable {
    let catalog: Catalog
    let clock: ManualClock
    let api: FakeHMSAPI
    let recorder: HMSRecorder
    let store: LocalDiskStore
    let handlers: JobHandlers
    let dependencies: RecordingDependencies
    let files: String

    /// `ownBucket`: where the worker's store would be, as 100ms names it, when it uploads there too.
    static func with(
        policy: RecordingPolicy = RecordingPolicy(), ownBucket: HMSOwnBucket? = nil, database: TestDatabase = .sqlite,
        mediaTools: MediaTools? = nil, _ body: @Sendable (HMSFlow) async throws -> Void
    ) async throws {
        try await FlowWorld.with(policy: policy, database: database) { world in
            try await serving(world) { files, server in
                var world = world
                if let mediaTools { world.dependencies.mediaTools = .success(mediaTools) }
                var (api, recorder) = parts(world, policy: policy, fileBaseURL: server.baseURL)
                recorder.ownBucket = ownBucket
                world.dependencies.hms = recorder
                try await body(HMSFlow(world, api: api, recorder: recorder, files: files))
            }
        }
    }

    /// A folder of the world's, served over HTTP, where 100ms' presigned URLs point.
    static func serving(
        _ world: FlowWorld, _ body: @Sendable (String, StaticFileServer) async throws -> Void
    ) async throws {
        let files = world.directory + "/hms-files"
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        let server = try await StaticFileServer.start(directory: files)
        defer { server.stop() }
        try await body(files, server)
    }

    /// 100ms faked in memory, and the recorder driving it.
    static func parts(_ world: FlowWorld, policy: RecordingPolicy, fileBaseURL: String) -> (FakeHMSAPI, HMSRecorder) {
        let api = FakeHMSAPI(fileBaseURL: fileBaseURL)
        let recorder = HMSRecorder(
            catalog: world.catalog, api: api, defaultPolicy: policy, storageBackend: world.store.backend,
            wakeup: world.dependencies.scheduler.wakeup, logger: TestLogger.make())
        return (api, recorder)
    }

    private static let counter = Mutex(0)

    /// A webhook as 100ms sends it, with a fresh id unless one is given.
    @discardableResult
    func webhook(_ type: String, _ data: HMSWebhookData, id: String? = nil) async throws -> ProviderReportOutcome {
        let eventID = id ?? Self.counter.withLock { count -> String in
            count += 1
            return "evt_\(count)"
        }
        return try await recorder.apply(HMSWebhookEvent(id: eventID, type: type, timestamp: clock.now(), data: data))
    }

    func room(_ name: String) -> HMSWebhookData {
        HMSWebhookData(roomID: "id-\(name)", roomName: name, sessionID: "sess-\(name)")
    }

    func peer(_ room: String, _ user: String, role: String = "guest") -> HMSWebhookData {
        var data = self.room(room)
        data.peerID = "peer-\(user)"
        data.userID = user
        data.userName = user.capitalized
        data.role = role
        data.peerType = "regular"
        return data
    }

    func beam(_ room: String, recordingID: String) -> HMSWebhookData {
        var data = self.room(room)
        data.beamID = recordingID
        data.jobID = recordingID
        data.recordingID = recordingID
        return data
    }

    /// A session with one guest whose join started 100ms' recorder, now running; returns 100ms' recording id.
    @discardableResult
    func recordingWithAda(room: String) async throws -> String {
        try await webhook("session.open.success", self.room(room))
        try await webhook("peer.join.success", peer(room, "ada"))
        try await runJobs()
        let hmsID = try #require(api.recordingIDs.last, "the join started 100ms' recorder")
        api.set(hmsID, .running)
        try await webhook("beam.started.success", beam(room, recordingID: hmsID))
        try await runJobs()
        return hmsID
    }

    /// A session with one guest who joins and leaves; returns 100ms' recording id.
    func recordWhileAdaIsThere(room: String) async throws -> String {
        let hmsID = try await recordingWithAda(room: room)
        try await webhook("peer.leave.success", peer(room, "ada"))
        try await runJobs()
        return hmsID
    }

    /// A file 100ms "recorded", served where its presigned URL points.
    func recordedFile(_ name: String, bytes: Int) throws -> Data {
        let data = Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try data.write(to: URL(fileURLWithPath: files + "/" + name))
        return data
    }

    @discardableResult
    func runJobs(limit: Int = 50) async throws -> [String] {
        try await FlowJobs.run(dependencies, handlers: handlers, limit: limit)
    }

    func recordings(_ room: String) async throws -> [Recording] {
        try await FlowJobs.recordings(catalog, room: room)
    }

    func stored(_ key: String) async throws -> Data? {
        guard (try? await store.head(try ObjectKey(key))) != nil else { return nil }
        let download = try await store.get(try ObjectKey(key))
        return Data(buffer: try await download.body.collect(upTo: 64 << 20))
    }
}

extension HMSFlow {
    /// The flow of a world whose dependencies have every recorder it runs.
    init(_ world: FlowWorld, api: FakeHMSAPI, recorder: HMSRecorder, files: String) {
        self.init(
            catalog: world.catalog, clock: world.clock, api: api, recorder: recorder, store: world.store,
            handlers: world.dependencies.jobHandlers, dependencies: world.dependencies, files: files)
    }
}
