import Crypto
import Foundation
import Logging
import NIOCore
import ObjectStorage
import Testing
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

@Suite("Ingest of finished local files")
struct IngestorTests {
    struct Setup {
        let catalog: Catalog
        let store: any ObjectStore
        let recording: Recording
        let directory: TemporaryDirectory
        var ingestor: Ingestor { Ingestor(catalog: catalog, store: store, logger: TestLogger.make()) }

        func file(_ name: String, bytes: Int, seed: UInt8 = 1) throws -> (path: String, sha256: String) {
            let content = Data((0..<bytes).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ Int(seed)) })
            let path = directory.path + "/\(name)"
            _ = FileManager.default.createFile(atPath: path, contents: content)
            return (path, SHA256.hash(data: content).map { String(format: "%02x", $0) }.joined())
        }

        func storedSHA256(_ key: String) async throws -> String {
            var hasher = SHA256()
            try await store.get(try ObjectKey(key)).body.write { chunk in
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
            return hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }

    static var stores: [String] { ["local"] + TestS3.servers.map { "s3:" + $0 } }

    func withSetup(_ storeName: String, _ body: (Setup) async throws -> Void) async throws {
        try await withTestCatalog(.sqlite) { catalog in
            let directory = try TemporaryDirectory.create()
            defer { directory.remove() }
            let store: any ObjectStore
            if storeName.hasPrefix("s3:") {
                store = try TestS3.store(endpoint: String(storeName.dropFirst(3)))
            } else {
                store = LocalDiskStore(
                    root: directory.path + "/objects", scratch: directory.path + "/tmp",
                    signer: MediaURLSigner(secret: Array(repeating: 3, count: 32), baseURL: "http://x"))
            }
            let recording = try await Fixtures.recording(catalog, status: .processing)
            try await body(Setup(catalog: catalog, store: store, recording: recording, directory: directory))
        }
    }

    @Test("stores, verifies, records, then deletes the source", arguments: stores)
    func happyPath(storeName: String) async throws {
        try await withSetup(storeName) { setup in
            let (path, digest) = try setup.file("session.mp4", bytes: 3_000_000)
            let key = setup.recording.keyPrefix + "session.mp4"
            let item = IngestItem(sourcePath: path, key: key, asset: .mp4)
            let stored = try await setup.ingestor.ingest(item, recordingID: setup.recording.id, deleteSource: true)
            #expect(stored == 3_000_000)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try await setup.storedSHA256(key) == digest)
            let assets = try await setup.catalog.pool.assets.list(recordingID: setup.recording.id)
            #expect(assets.map(\.key) == [key] && assets[0].sizeBytes == 3_000_000)
            if storeName == "local" { #expect(assets[0].sha256 == digest) }

            // Running again after the source is gone finishes without touching anything.
            #expect(try await setup.ingestor.ingest(item, recordingID: setup.recording.id, deleteSource: true) == 3_000_000)
            #expect(try await setup.catalog.pool.assets.list(recordingID: setup.recording.id).count == 1)
        }
    }

    @Test("after a crash between upload and delete, a rerun converges", arguments: stores)
    func crashStates(storeName: String) async throws {
        try await withSetup(storeName) { setup in
            let (path, digest) = try setup.file("session.mp4", bytes: 1_000_000)
            let key = setup.recording.keyPrefix + "session.mp4"
            let item = IngestItem(sourcePath: path, key: key, asset: .mp4)
            // Crashed after storing, before recording the asset: the object exists, no row.
            _ = try await setup.store.putFile(try ObjectKey(key), path: path, contentType: nil)
            // A stale partial object from an even earlier attempt must not be trusted either.
            #expect(try await setup.catalog.pool.assets.list(recordingID: setup.recording.id).isEmpty)
            try await setup.ingestor.ingest(item, recordingID: setup.recording.id, deleteSource: false)
            #expect(FileManager.default.fileExists(atPath: path), "kept when asked to")
            // Crashed after recording, before deleting the source: the rerun only deletes.
            try await setup.ingestor.ingest(item, recordingID: setup.recording.id, deleteSource: true)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try await setup.storedSHA256(key) == digest)
            #expect(try await setup.catalog.pool.assets.list(recordingID: setup.recording.id).count == 1)
        }
    }

    @Test("a source that is gone with nothing stored is an error, not a success", arguments: stores)
    func missingSource(storeName: String) async throws {
        try await withSetup(storeName) { setup in
            let item = IngestItem(
                sourcePath: setup.directory.path + "/never.mp4", key: setup.recording.keyPrefix + "never.mp4", asset: .mp4)
            await #expect(throws: Ingestor.Failure.sourceMissing(item.sourcePath)) {
                try await setup.ingestor.ingest(item, recordingID: setup.recording.id, deleteSource: true)
            }
        }
    }

    @Test("the ingest job stores every file, segments before playlist, and marks the recording ready")
    func job() async throws {
        try await withSetup("local") { setup in
            let segments = try (0..<3).map { try setup.file("seg_\($0).ts", bytes: 10_000 + $0) }
            let playlist = try setup.file("index.m3u8", bytes: 200)
            var items = segments.enumerated().map { index, file in
                IngestItem(sourcePath: file.path, key: setup.recording.keyPrefix + "seg_\(index).ts")
            }
            items.append(IngestItem(sourcePath: playlist.path, key: setup.recording.keyPrefix + "index.m3u8", asset: .hls))
            let job = try IngestFilesJob.newJob(.init(recordingID: setup.recording.id, items: items, deleteSources: true))
            try await setup.catalog.pool.jobs.enqueue(job)
            let claimed = try #require(try await setup.catalog.transaction { tx in
                try await tx.jobs.claim(workerID: "t", limit: 1, leaseSeconds: 30)
            }.first)
            try await IngestFilesJob(catalog: setup.catalog, store: setup.store, logger: TestLogger.make())
                .run(claimed, logger: TestLogger.make())
            let recording = try #require(try await setup.catalog.pool.recordings.find(id: setup.recording.id))
            #expect(recording.status == .ready)
            #expect(recording.sizeBytes == Int64(30_203))
            #expect(recording.assets.map(\.kind) == [.hls])
            for item in items { #expect(!FileManager.default.fileExists(atPath: item.sourcePath)) }
            // The same job enqueued again is a duplicate, not a second ingest.
            guard case .duplicate = try await setup.catalog.pool.jobs.enqueue(job) else {
                Issue.record("re-enqueuing the same ingest must be deduplicated")
                return
            }
        }
    }
}
