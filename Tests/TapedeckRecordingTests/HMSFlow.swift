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

    static func with(policy: RecordingPolicy = RecordingPolicy(), _ body: @Sendable (HMSFlow) async throws -> Void) async throws {
        let clock = ManualClock()
        try await withTestCatalog(.sqlite, clock: clock) { catalog in
            let directory = try TemporaryDirectory.create()
            defer { directory.remove() }
            let files = directory.path + "/hms-files"
            try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
            let server = try await StaticFileServer.start(directory: files)
            defer { server.stop() }
            let store = LocalDiskStore(
                root: directory.path + "/objects", scratch: directory.path + "/tmp",
                signer: MediaURLSigner(secret: Array(repeating: 7, count: 32), baseURL: "http://127.0.0.1"), clock: { clock.now() })
            let api = FakeHMSAPI(fileBaseURL: server.baseURL)
            var dependencies = RecordingDependencies(catalog: catalog, store: store, metrics: ServiceMetrics(), logger: TestLogger.make())
            dependencies.mediaTools = .failure(MediaToolError.missing("not used in these tests"))
            dependencies.defaultPolicy = policy
            let recorder = HMSRecorder(
                catalog: catalog, api: api, defaultPolicy: policy, storageBackend: store.backend, wakeup: dependencies.scheduler.wakeup,
                logger: TestLogger.make())
            dependencies.hms = recorder
            try await body(
                HMSFlow(
                    catalog: catalog, clock: clock, api: api, recorder: recorder, store: store, handlers: dependencies.jobHandlers,
                    dependencies: dependencies, files: files))
        }
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
