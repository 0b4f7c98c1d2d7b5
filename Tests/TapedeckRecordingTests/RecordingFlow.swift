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
        try await FlowWorld.with(policy: policy) { world in
            var world = world
            let (api, recorder) = parts(world, policy: policy)
            world.dependencies.livekit = recorder
            try await body(RecordingFlow(world, api: api, recorder: recorder))
        }
    }

    /// LiveKit faked with its egress writing into the world's folder, and the recorder driving it.
    static func parts(_ world: FlowWorld, policy: RecordingPolicy) -> (FakeLiveKitAPI, LiveKitRecorder) {
        let api = FakeLiveKitAPI(remoteRoot: "/out", localRoot: world.directory + "/egress")
        let recorder = LiveKitRecorder(
            catalog: world.catalog, api: api, destination: .directory(remote: "/out", local: world.directory + "/egress"),
            defaultPolicy: policy, storageBackend: world.store.backend, wakeup: world.dependencies.scheduler.wakeup,
            logger: TestLogger.make())
        return (api, recorder)
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

extension RecordingFlow {
    /// The flow of a world whose dependencies have every recorder it runs.
    init(_ world: FlowWorld, api: FakeLiveKitAPI, recorder: LiveKitRecorder) {
        self.init(
            catalog: world.catalog, clock: world.clock, api: api, recorder: recorder, store: world.store,
            handlers: world.dependencies.jobHandlers, dependencies: world.dependencies)
    }
}
