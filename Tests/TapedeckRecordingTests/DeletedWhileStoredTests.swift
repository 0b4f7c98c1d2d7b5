import Foundation
import ObjectStorage
import TapedeckCore
import TapedeckStore
import Testing
import Synchronization
import TestSupport

@testable import TapedeckRecording

/// A recording that fails while its files are still being stored, and is deleted and purged
/// before the last of them lands: nothing the storing job stored stays, and nothing is listed.
@Suite("Files landing after a recording's purge")
struct DeletedWhileStoredTests {
    /// The newest job of `kind`, whatever its state.
    static func newestJob(_ catalog: Catalog, kind: String) async throws -> Job? {
        let row = try await catalog.pool.sql.raw("SELECT id FROM jobs WHERE kind = \(bind: kind) ORDER BY id DESC LIMIT 1").first()
        guard let id = try row?.decode(column: "id", as: Int64.self) else { return nil }
        return try await catalog.pool.jobs.find(id: id)
    }

    /// Fails the recording, deletes it and runs its purge to the end.
    static func failDeleteAndPurge(_ recordingID: UUID, catalog: Catalog, store: any ObjectStore, scheduler: JobScheduler) async throws {
        let failed = try await catalog.transaction { tx in
            try await tx.recordings.transition(recordingID, to: .failed, actor: "test", cause: "a late failure report")
        }
        #expect(failed == .applied(from: .processing, to: .failed))
        _ = try await RecordingLifecycle.markDeleted(recordingID, actor: "test", cause: "test", catalog: catalog, scheduler: scheduler)
        let purge = try #require(try await newestJob(catalog, kind: PurgeRecordingObjectsJob.kind))
        try await PurgeRecordingObjectsJob(catalog: catalog, store: store).run(purge, logger: TestLogger.make())
    }

    /// Holds the first upload until `held` opens, once `reached` was opened.
    static func holdingFirstUpload(_ base: any ObjectStore, reached: Gate, held: Gate) -> HeldObjectStore {
        let first = Mutex(true)
        var store = HeldObjectStore(base)
        store.beforePut = { _ in
            guard first.withLock({ was in defer { was = false }; return was }) else { return }
            reached.open()
            await held.wait()
        }
        return store
    }

    @Test func egressFilesIngestedAfterThePurgeGo() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("late")
            try await flow.webhook("room_started", room: "late")
            try await flow.join("late", "ada")
            try await flow.runJobs()
            let egressID = try #require(flow.api.startedEgressIDs.last)
            try await flow.webhook("egress_started", room: "late", egress: flow.api.info(egressID))
            try await flow.leave("late", "ada")
            try await flow.runJobs()
            try await flow.egressEnds(egressID, room: "late")
            let recording = try #require(try await flow.recordings("late").only)
            #expect(recording.status == .processing)
            let ingest = try #require(try await Self.newestJob(flow.catalog, kind: IngestFilesJob.kind))

            let reached = Gate(), held = Gate()
            let store = Self.holdingFirstUpload(flow.store, reached: reached, held: held)
            let run = Task { try await IngestFilesJob(catalog: flow.catalog, store: store, logger: TestLogger.make()).run(ingest, logger: TestLogger.make()) }
            try await reached.wait(orEndOf: run)
            try await Self.failDeleteAndPurge(recording.id, catalog: flow.catalog, store: flow.store, scheduler: flow.dependencies.scheduler)
            held.open()
            try await run.value
            let left = try await flow.store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 1000).objects.map(\.key)
            #expect(left.isEmpty, "\(left)")
            #expect(try await flow.catalog.pool.assets.list(recordingID: recording.id).isEmpty)
            try Self.expectSourcesRemoved(ingest)
        }
    }

    /// Deleted before its files were ingested: none is stored, and the recorder's copies go.
    @Test func egressFilesOfARecordingDeletedBeforeTheIngestAreNotStoredAndTheirSourcesGo() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("gone")
            try await flow.webhook("room_started", room: "gone")
            try await flow.join("gone", "ada")
            try await flow.runJobs()
            let egressID = try #require(flow.api.startedEgressIDs.last)
            try await flow.webhook("egress_started", room: "gone", egress: flow.api.info(egressID))
            try await flow.leave("gone", "ada")
            try await flow.runJobs()
            try await flow.egressEnds(egressID, room: "gone")
            let recording = try #require(try await flow.recordings("gone").only)
            let ingest = try #require(try await Self.newestJob(flow.catalog, kind: IngestFilesJob.kind))
            try await Self.failDeleteAndPurge(recording.id, catalog: flow.catalog, store: flow.store, scheduler: flow.dependencies.scheduler)
            try await flow.runJobs()
            #expect(try await flow.store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 1000).objects.isEmpty)
            #expect(try await flow.catalog.pool.assets.list(recordingID: recording.id).isEmpty)
            try Self.expectSourcesRemoved(ingest)
        }
    }

    /// The recorder's files of an ingest whose payload makes them Tapedeck's to delete are gone.
    static func expectSourcesRemoved(_ ingest: Job) throws {
        let payload = try ingest.decodedPayload(as: IngestFilesJob.Payload.self)
        #expect(payload.deleteSources && !payload.items.isEmpty)
        for item in payload.items { #expect(!FileManager.default.fileExists(atPath: item.sourcePath), "\(item.sourcePath)") }
    }

    @Test(arguments: TestDatabase.all) func a100msCopyLandingAfterThePurgeGoes(database: TestDatabase) async throws {
        try await HMSFlow.with(database: database) { flow in
            let (hmsID, _) = try await HMSSideFilesTests.completed(flow, room: "late")
            try await flow.webhook("beam.recording.success", flow.beam("late", recordingID: hmsID))
            // The sync only: it queues the copy, which is run below with its upload held.
            #expect(try await flow.runJobs(limit: 1) == [HMSSyncJob.kind])
            let recording = try #require(try await flow.recordings("late").first)
            #expect(recording.status == .processing)
            let copy = try #require(try await Self.newestJob(flow.catalog, kind: HMSCopyJob.kind))

            let reached = Gate(), held = Gate()
            let store = Self.holdingFirstUpload(flow.store, reached: reached, held: held)
            let run = Task { try await HMSCopyJob(recorder: flow.recorder, store: store, http: flow.dependencies.http).run(copy, logger: TestLogger.make()) }
            try await reached.wait(orEndOf: run)
            try await Self.failDeleteAndPurge(recording.id, catalog: flow.catalog, store: flow.store, scheduler: flow.dependencies.scheduler)
            held.open()
            try await run.value
            let left = try await flow.store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 1000).objects.map(\.key)
            #expect(left.isEmpty, "\(left)")
            #expect(try await flow.catalog.pool.assets.list(recordingID: recording.id).isEmpty)
            #expect(try await flow.catalog.pool.recordings.find(id: recording.id)?.status == .deleted)
        }
    }
}
