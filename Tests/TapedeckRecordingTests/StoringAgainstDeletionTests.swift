import Foundation
import Media
import ObjectStorage
import Synchronization
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// The jobs that store a 100ms recording's files (the copy-in, its chat and summary, the
/// post-processing outputs) against a deletion, in every order of a small space: one upload of one job is held
/// while the recording is (or is not) deleted and purged, the held upload then lands (or lands and
/// the job dies before it learns so), and every job is run to its end. Then: a deleted recording
/// has no object and no asset row left; a kept one has every listed object, whole, and nothing
/// in its folder that nothing lists.
/// Its cases run one at a time: with ffmpeg in most of them, run all at once they would starve the
/// timing tests running beside them.
@Suite("Storing jobs against a deletion, every order", .serialized)
struct StoringAgainstDeletionTests {

    enum StoringJob: CaseIterable { case copyIn, sideFiles, postProcess }
    enum Deletion: CaseIterable { case none, purgedWhileHeld, deletedWhileHeldPurgedAfter, deletedAtTheEnd }
    struct Killed: Error {}

    /// One case of every job, upload of it held, deletion and ending: 64 in all.
    struct Order: Sendable, CustomTestStringConvertible {
        var job: StoringJob
        var heldUpload: Int
        var deletion: Deletion
        var dies: Bool
        var testDescription: String { "\(job) \(deletion) upload \(heldUpload)\(dies ? " dies" : "")" }

        static let all: [Order] = StoringJob.allCases.flatMap { job in
            (0..<[StoringJob.copyIn: 1, .sideFiles: 2, .postProcess: 5][job]!).flatMap { upload in
                Deletion.allCases.flatMap { deletion in [false, true].map { Order(job: job, heldUpload: upload, deletion: deletion, dies: $0) } }
            }
        }
    }

    @Test(arguments: TestDatabase.all, Order.all)
    func noObjectOutlivesItsRecordingAndNothingListedIsMissing(database: TestDatabase, order: Order) async throws {
        let (job, deletion, heldUpload, dies) = (order.job, order.deletion, order.heldUpload, order.dies)
        let tools = try MediaTools.locate().get()
        let label = order.testDescription
        try await HMSFlow.with(database: database, mediaTools: tools) { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "gen")
            let source = flow.files + "/gen.mp4"
            try FileManager.default.copyItem(atPath: try await TestMedia.shortMP4.value, toPath: source)
            let size = try #require(try FileManager.default.attributesOfItem(atPath: source)[.size] as? NSNumber).int64Value
            flow.api.complete(hmsID, fileName: "gen.mp4", size: size, duration: 4)
            try await flow.webhook("beam.recording.success", flow.beam("gen", recordingID: hmsID))
            for (type, name, text) in [("chat", "gen-chat.csv", "Ada,hello\n"), ("summary", "gen-summary.json", #"{"sections":[]}"#)] {
                try Data(text.utf8).write(to: URL(fileURLWithPath: flow.files + "/" + name))
                flow.api.addAsset(hmsID, type: type, fileName: name, size: Int64(text.utf8.count))
            }
            // The sync (it queues the copy-in), then for the later jobs the copy-in (it queues them).
            #expect(try await flow.runJobs(limit: 1) == [HMSSyncJob.kind])
            if job != .copyIn { #expect(try await flow.runJobs(limit: 1) == [HMSCopyJob.kind]) }
            let recording = try #require(try await flow.recordings("gen").first)
            let kind = [StoringJob.copyIn: HMSCopyJob.kind, .sideFiles: HMSSideFilesJob.kind, .postProcess: PostProcessJob.kind][job]!
            let row = try #require(try await Self.newestJob(flow.catalog, kind: kind))
            if job != .copyIn {
                // The other storing job the copy-in queued runs first, to its end: run after the
                // held one, it would find the recording deleted and purge what the held one left,
                // and the case could not fail.
                for other in [HMSSideFilesJob.kind, PostProcessJob.kind] where other != kind {
                    let queued = try #require(try await Self.newestJob(flow.catalog, kind: other))
                    try await #require(flow.handlers.handler(for: other)).run(queued, logger: TestLogger.make())
                    try await Self.markDone(queued.id, flow)
                }
            }

            let reached = Gate(), held = Gate()
            let count = Mutex(0)
            var store = HeldObjectStore(flow.store)
            store.beforePut = { _ in
                guard count.withLock({ $0 }) == heldUpload else { return }
                reached.open()
                await held.wait()
            }
            store.afterPut = { _ in
                let index = count.withLock { value -> Int in
                    defer { value += 1 }
                    return value
                }
                if dies && index == heldUpload { throw Killed() }
            }
            let handler: any JobHandler =
                switch job {
                case .copyIn: HMSCopyJob(recorder: flow.recorder, store: store, http: flow.dependencies.http)
                case .sideFiles: HMSSideFilesJob(recorder: flow.recorder, store: store, http: flow.dependencies.http)
                case .postProcess:
                    PostProcessJob(catalog: flow.catalog, store: store, localDisk: flow.store, tools: .success(tools), logger: TestLogger.make())
                }
            let run = Task { try await handler.run(row, logger: TestLogger.make()) }
            // The held upload, or the job's end if it makes fewer uploads.
            let wasHeld = (try? await reached.wait(orEndOf: run)) != nil
            let deleted = deletion != .none
            if wasHeld, deletion == .purgedWhileHeld || deletion == .deletedWhileHeldPurgedAfter {
                try await Self.delete(recording, flow, purgeNow: deletion == .purgedWhileHeld)
            }
            held.open()
            // As a worker would: a run that ended is done; one that threw is retried.
            if (try? await run.value) != nil { try await Self.markDone(row.id, flow) }
            if deletion == .deletedAtTheEnd || (deleted && !wasHeld) {
                try await Self.delete(recording, flow, purgeNow: false)
            }
            try await Self.runToTheEnd(flow)

            let objects = try await flow.store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 1000).objects
            let assets = try await flow.catalog.pool.assets.list(recordingID: recording.id)
            if deleted {
                #expect(objects.isEmpty, "\(label): \(objects.map(\.key))")
                #expect(assets.isEmpty, "\(label): \(assets.map(\.key))")
                return
            }
            #expect(try await flow.catalog.pool.recordings.find(id: recording.id)?.status == .ready, "\(label)")
            #expect(Set(assets.map(\.kind)).isSuperset(of: [.mp4, .chat, .summary, .thumbnail, .hls, .storyboard]), "\(label): \(assets.map(\.kind))")
            let stored = Dictionary(objects.map { ($0.key, $0.size) }, uniquingKeysWith: { first, _ in first })
            for asset in assets {
                #expect(stored[asset.key] != nil, "\(label): \(asset.key) listed, not stored")
                if let expected = asset.sizeBytes { #expect(stored[asset.key] == expected, "\(label): \(asset.key) not whole") }
            }
            let named = Set(try await PurgeRecordingObjectsJob(catalog: flow.catalog, store: flow.store).objectKeys(of: assets, under: recording.keyPrefix))
            #expect(Set(stored.keys).subtracting(named).isEmpty, "\(label): unlisted \(Set(stored.keys).subtracting(named))")
        }
    }

    /// Deletes the recording; with `purgeNow`, runs its purge to the end at once.
    static func delete(_ recording: Recording, _ flow: HMSFlow, purgeNow: Bool) async throws {
        let current = try #require(try await flow.catalog.pool.recordings.find(id: recording.id))
        if current.status != .ready && current.status.isActive == false && current.status != .deleted {
            // Not copied in yet (processing): a late failure report first, as deletion needs an ending.
            _ = try await flow.catalog.transaction { tx in
                try await tx.recordings.transition(recording.id, to: .failed, actor: "test", cause: "a late failure report")
            }
        }
        #expect(try await RecordingLifecycle.markDeleted(
            recording.id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            == .applied(from: current.status == .ready ? .ready : .failed, to: .deleted))
        guard purgeNow else { return }
        let purge = try #require(try await newestJob(flow.catalog, kind: PurgeRecordingObjectsJob.kind))
        try await PurgeRecordingObjectsJob(catalog: flow.catalog, store: flow.store).run(purge, logger: TestLogger.make())
        try await markDone(purge.id, flow)
    }

    /// A job run here rather than from the queue, which then never runs it again.
    static func markDone(_ id: Int64, _ flow: HMSFlow) async throws {
        try await flow.catalog.pool.sql.raw("UPDATE jobs SET state = 'done' WHERE id = \(bind: id)").run()
    }

    /// Runs every job, moving the clock to each retry, until none is left to run.
    static func runToTheEnd(_ flow: HMSFlow) async throws {
        for _ in 0..<80 {
            try await flow.runJobs()
            let row = try await flow.catalog.pool.sql.raw("SELECT MIN(run_at) AS next FROM jobs WHERE state = 'queued'").first()
            guard let next = try row?.decode(column: "next", as: Int64?.self) else { return }
            flow.clock.advance(by: max(1, Double(next - flow.clock.now().millisecondsSince1970) / 1000 + 1))
        }
        Issue.record("jobs still queued after 80 rounds")
    }

    static func newestJob(_ catalog: Catalog, kind: String) async throws -> Job? {
        try await DeletedWhileStoredTests.newestJob(catalog, kind: kind)
    }
}
