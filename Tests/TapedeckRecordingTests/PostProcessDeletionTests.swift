import Foundation
import Media
import NIOCore
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
            let (recording, job) = try await Self.readyRecording(flow, room: "short")
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
            try await reached.wait(orEndOf: processing)
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

    /// A ready recording of a real 4 s MP4, and its post-processing job (queued at ready, waiting
    /// as the flow has no media tools).
    static func readyRecording(_ flow: HMSFlow, room: String) async throws -> (Recording, Job) {
        let hmsID = try await flow.recordWhileAdaIsThere(room: room)
        let source = flow.files + "/\(room).mp4"
        try FileManager.default.copyItem(atPath: try await TestMedia.shortMP4.value, toPath: source)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber).int64Value
        flow.api.complete(hmsID, fileName: "\(room).mp4", size: size, duration: 4)
        try await flow.webhook("beam.recording.success", flow.beam(room, recordingID: hmsID))
        try await flow.runJobs()
        let recording = try #require(try await flow.recordings(room).first)
        #expect(recording.status == .ready)
        let job = try #require(try await Self.postProcessJob(flow, recording))
        return (recording, job)
    }

    static func postProcessJob(_ flow: HMSFlow, _ recording: Recording) async throws -> Job? {
        try await flow.catalog.pool.jobs.find(idempotencyKey: "\(PostProcessJob.kind):\(recording.id.uuidString.lowercased())")
    }

    static func put(_ flow: HMSFlow, _ key: String, _ text: String = "x") async throws {
        _ = try await flow.store.put(try ObjectKey(key), body: [ByteBuffer(string: text)].async, contentType: nil)
    }

    /// A run killed after its uploads landed and before it listed them, the recording deleted
    /// and purged meanwhile (the purge emptied the folder before the uploads landed): the retry
    /// deletes them, as nothing else would.
    @Test(arguments: TestDatabase.all)
    func outputsOfARunKilledBeforeListingThemGoWhenTheRecordingIsDeleted(database: TestDatabase) async throws {
        let tools = try MediaTools.locate().get()
        try await HMSFlow.with(database: database) { flow in
            let (recording, job) = try await Self.readyRecording(flow, room: "killed")
            _ = try await RecordingLifecycle.markDeleted(
                recording.id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            #expect(try await flow.runJobs().contains(PurgeRecordingObjectsJob.kind))
            for name in [PostProcessJob.thumbnailName, "index0.ts", "index1.ts", "index.m3u8", PostProcessJob.storyboardSprite] {
                try await Self.put(flow, recording.keyPrefix + name)
            }
            #expect(try await Self.keys(flow, recording).count == 5)
            try await PostProcessJob(catalog: flow.catalog, store: flow.store, localDisk: flow.store, tools: .success(tools), logger: TestLogger.make())
                .run(job, logger: TestLogger.make())
            #expect(try await Self.keys(flow, recording).isEmpty)
        }
    }

    /// Recordings made before folders per recording shared their session's folder: there, what a
    /// deleted recording's post-processing may have left goes, and what another recording of the
    /// folder lists or its playlist names stays.
    @Test(arguments: TestDatabase.all)
    func inAFolderSharedWithAnotherRecordingOnlyWhatNoOtherOneNamesGoes(database: TestDatabase) async throws {
        try await HMSFlow.with(database: database) { flow in
            var recordings: [Recording] = []
            for room in ["older", "sibling"] {
                let (hmsID, _) = try await HMSSideFilesTests.completed(flow, room: room)
                try await flow.webhook("beam.recording.success", flow.beam(room, recordingID: hmsID))
                try await flow.runJobs()
                recordings.append(try #require(try await flow.recordings(room).first))
            }
            let shared = "legacy-room/session-1/"
            try await flow.catalog.pool.sql.raw(
                "UPDATE recordings SET key_prefix = \(bind: shared) WHERE id IN (\(bind: recordings[0].id), \(bind: recordings[1].id))"
            ).run()
            let playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nindex0.ts\n#EXT-X-ENDLIST\n"
            try await Self.put(flow, shared + "index.m3u8", playlist)
            for name in [PostProcessJob.thumbnailName, "index0.ts", "index9.ts", PostProcessJob.storyboardSprite, PostProcessJob.storyboardIndex] {
                try await Self.put(flow, shared + name)
            }
            for (kind, name) in [(AssetKind.hls, "index.m3u8"), (.thumbnail, PostProcessJob.thumbnailName)] {
                try await flow.catalog.pool.assets.upsert(
                    NewAsset(recordingID: recordings[1].id, kind: kind, key: shared + name, contentType: ContentTypes.forKey(name), sizeBytes: 1))
            }
            _ = try await RecordingLifecycle.markDeleted(
                recordings[0].id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            try await flow.runJobs()
            let job = try #require(try await Self.postProcessJob(flow, recordings[0]))
            let tools = MediaTools(ffmpeg: "/nonexistent", ffprobe: "/nonexistent")
            try await PostProcessJob(catalog: flow.catalog, store: flow.store, localDisk: flow.store, tools: .success(tools), logger: TestLogger.make())
                .run(job, logger: TestLogger.make())
            let left = try await flow.store.list(prefix: shared, startAfter: nil, limit: 100).objects.map(\.key)
            #expect(left == [shared + "index.m3u8", shared + "index0.ts", shared + PostProcessJob.thumbnailName])
        }
    }

    /// Every object in the recording's folder.
    static func keys(_ flow: HMSFlow, _ recording: Recording) async throws -> [String] {
        try await flow.store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 1000).objects.map(\.key)
    }
}
