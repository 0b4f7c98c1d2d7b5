import Foundation
import Logging
import Media
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TestSupport

@testable import TapedeckRecording

/// What every flow shares, whichever providers it fakes: a scratch catalog on a manual clock, a
/// local store in a temporary folder, and a worker's dependencies, to which the flow adds its
/// recorders before it takes the job handlers.
struct FlowWorld: Sendable {
    let catalog: Catalog
    let clock: ManualClock
    let directory: String
    let store: LocalDiskStore
    var dependencies: RecordingDependencies

    static func with(
        policy: RecordingPolicy, database: TestDatabase = .sqlite, _ body: @Sendable (FlowWorld) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let directory = try TemporaryDirectory.create()
            defer { directory.remove() }
            let store = LocalDiskStore(
                root: directory.path + "/objects", scratch: directory.path + "/tmp",
                signer: MediaURLSigner(secret: Array(repeating: 7, count: 32), baseURL: "http://127.0.0.1"), clock: { clock.now() })
            var dependencies = RecordingDependencies(catalog: catalog, store: store, metrics: ServiceMetrics(), logger: TestLogger.make())
            // Post-processing needs ffmpeg; these tests stop at "ready" and run without it.
            dependencies.mediaTools = .failure(MediaToolError.missing("not used in these tests"))
            dependencies.defaultPolicy = policy
            try await body(FlowWorld(catalog: catalog, clock: clock, directory: directory.path, store: store, dependencies: dependencies))
        }
    }
}
