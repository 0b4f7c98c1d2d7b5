import Foundation
import LiveKit
import Logging
import Media
import ObjectStorage
import TapedeckCore
import TapedeckStore
import Synchronization
import TestSupport

@testable import TapedeckRecording

/// A worker's world in one process: a scratch catalog on a manual clock, a local store, LiveKit
/// faked in memory with its egress writing into a local folder (which Tapedeck ingests), and the
/// job handlers a worker runs. Tests drive it as LiveKit would: webhooks, then jobs.
struct RecordingFlow: Sendable {
    let catalog: Catalog
    let clock: ManualClock
    let api: FakeLiveKitAPI
    let recorder: LiveKitRecorder
    let store: LocalDiskStore
    let handlers: JobHandlers
    let dependencies: RecordingDependencies

    static func with(
        policy: RecordingPolicy = RecordingPolicy(), _ body: @Sendable (RecordingFlow) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        try await withTestCatalog(.sqlite, clock: clock) { catalog in
            let directory = try TemporaryDirectory.create()
            defer { directory.remove() }
            let store = LocalDiskStore(
                root: directory.path + "/objects", scratch: directory.path + "/tmp",
                signer: MediaURLSigner(secret: Array(repeating: 7, count: 32), baseURL: "http://127.0.0.1"), clock: { clock.now() })
            let api = FakeLiveKitAPI(remoteRoot: "/out", localRoot: directory.path + "/egress")
            var dependencies = RecordingDependencies(catalog: catalog, store: store, metrics: ServiceMetrics(), logger: TestLogger.make())
            // Post-processing needs ffmpeg; these tests stop at "ready" and run without it.
            dependencies.mediaTools = .failure(MediaToolError.missing("not used in these tests"))
            dependencies.defaultPolicy = policy
            let recorder = LiveKitRecorder(
                catalog: catalog, api: api, destination: .directory(remote: "/out", local: directory.path + "/egress"),
                defaultPolicy: policy, storageBackend: store.backend, wakeup: dependencies.scheduler.wakeup, logger: TestLogger.make())
            dependencies.livekit = recorder
            try await body(
                RecordingFlow(
                    catalog: catalog, clock: clock, api: api, recorder: recorder, store: store, handlers: dependencies.jobHandlers,
                    dependencies: dependencies))
        }
    }

    // MARK: LiveKit's side

    private static let eventCounter = Mutex(0)

    @discardableResult
    func webhook(_ event: String, room: String, identity: String? = nil, egress: EgressInfo? = nil) async throws
        -> ProviderReportOutcome
    {
        let id = Self.eventCounter.withLock { count -> String in
            count += 1
            return "EV_\(count)"
        }
        let roomInfo = try await api.listRooms(names: [room]).first ?? RoomInfo(name: room)
        return try await recorder.apply(
            WebhookEvent(
                event: event, id: id, createdAt: Int64(clock.now().timeIntervalSince1970), room: roomInfo,
                participant: identity.map { ParticipantInfo(identity: $0, kind: .standard) }, egress: egress))
    }

    func join(_ room: String, _ identity: String) async throws {
        api.join(room, identity)
        try await webhook("participant_joined", room: room, identity: identity)
    }

    func leave(_ room: String, _ identity: String) async throws {
        api.leave(room, identity)
        try await webhook("participant_left", room: room, identity: identity)
    }

    /// LiveKit finishes the egress and reports it.
    func egressEnds(_ egressID: String, room: String) async throws {
        let info = try api.complete(egressID)
        try await webhook("egress_ended", room: room, egress: info)
    }

    // MARK: The worker's side

    @discardableResult
    func runJobs(limit: Int = 50) async throws -> [String] {
        try await FlowJobs.run(dependencies, handlers: handlers, limit: limit)
    }

    func recordings(_ room: String) async throws -> [Recording] {
        try await FlowJobs.recordings(catalog, room: room)
    }
}

extension Array {
    /// The one element, or `nil` when there are none or several.
    var only: Element? { count == 1 ? first : nil }
}
