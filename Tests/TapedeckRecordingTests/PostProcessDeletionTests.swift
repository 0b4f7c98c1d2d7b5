import Foundation
import Media
import ObjectStorage
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// A recording deleted while ffmpeg makes its thumbnail, HLS and storyboard: its purge may empty
/// the folder before those files land, so the job itself must not leave them (nor list them).
@Suite("Post-processing a recording deleted meanwhile")
struct PostProcessDeletionTests {
    /// Where the run is held while the recording is deleted and purged: before the thumbnail is
    /// stored, before the playlist (its segments stored already), before the storyboard's index
    /// (its sheet stored, the thumbnail and HLS listed). `nil`: not held, not deleted.
    static let holdPoints: [String?] = [nil, PostProcessJob.thumbnailName, "index.m3u8", PostProcessJob.storyboardIndex]

    @Test(arguments: TestDatabase.all, holdPoints)
    func aRecordingDeletedWhileItsOutputsAreMadeKeepsNone(database: TestDatabase, heldBefore: String?) async throws {
        let tools = try MediaTools.locate().get()
        try await HMSFlow.with(database: database) { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "short")
            let source = flow.files + "/short.mp4"
            _ = try await tools.ffmpeg.run(
                [
                    "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "4",
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p", "-c:a", "aac", source,
                ], timeout: 120)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber).int64Value
            flow.api.complete(hmsID, fileName: "short.mp4", size: size, duration: 4)
            try await flow.webhook("beam.recording.success", flow.beam("short", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("short").first)
            #expect(recording.status == .ready)
            let job = try #require(
                try await flow.catalog.pool.jobs.find(idempotencyKey: "\(PostProcessJob.kind):\(recording.id.uuidString.lowercased())"))

            let reached = Gate(), held = Gate()
            var slow = HeldObjectStore(flow.store)
            slow.beforePut = { key in
                guard let heldBefore, key.rawValue.hasSuffix("/" + heldBefore) else { return }
                reached.open()
                await held.wait()
            }
            let processing = Task {
                try await PostProcessJob(catalog: flow.catalog, store: slow, localDisk: flow.store, tools: .success(tools), logger: TestLogger.make())
                    .run(job, logger: TestLogger.make())
            }
            guard heldBefore != nil else {
                try await processing.value
                // The control: undisturbed, the run lists every output and stores it.
                let assets = try await flow.catalog.pool.assets.list(recordingID: recording.id)
                #expect(Set(assets.map(\.kind)).isSuperset(of: [.mp4, .thumbnail, .hls, .storyboard]))
                let stored = try await Self.keys(flow, recording)
                #expect(stored.contains { $0.hasSuffix(".ts") } && stored.contains { $0.hasSuffix(PostProcessJob.storyboardSprite) })
                for asset in assets { #expect(stored.contains(asset.key), "\(asset.key)") }
                return
            }
            await reached.wait()
            _ = try await RecordingLifecycle.markDeleted(
                recording.id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            #expect(try await flow.runJobs().contains(PurgeRecordingObjectsJob.kind))
            #expect(try await Self.keys(flow, recording).isEmpty, "the purge emptied the folder")
            held.open()
            try await processing.value
            #expect(try await Self.keys(flow, recording).isEmpty, "nothing the run stored outlives the recording")
            #expect(try await flow.catalog.pool.assets.list(recordingID: recording.id).isEmpty, "and nothing is listed")
        }
    }

    /// Every object in the recording's folder.
    static func keys(_ flow: HMSFlow, _ recording: Recording) async throws -> [String] {
        try await flow.store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 1000).objects.map(\.key)
    }
}
