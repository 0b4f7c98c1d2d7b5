import Crypto
import Foundation
import ObjectStorage
import SQLKit
import Testing
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

#if canImport(Glibc)
    import Glibc
#endif

/// Ingest under `kill -9`: a real `tapedeck worker` is killed at random moments while it ingests
/// a 500 MB file, at least ten times; after each kill the local file or a verified stored copy
/// must exist, and in the end the file is stored exactly once, byte-identical, and the local copy
/// is gone.
@Suite("Ingest survives kill -9", .serialized)
struct IngestCrashTests {
    static var stores: [String] { ["local"] + TestS3.servers.map { "s3:" + $0 } }
    static let size = 500 << 20

    /// Writes a 500 MB file of pseudo-random bytes and returns its SHA-256.
    func makeSource(at path: String) throws -> String {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var chunk = [UInt8](repeating: 0, count: 4 << 20)
        for _ in 0..<(Self.size / chunk.count) {
            chunk.withUnsafeMutableBytes { raw in
                for i in 0..<(raw.count / 8) {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    raw.storeBytes(of: state, toByteOffset: i * 8, as: UInt64.self)
                }
            }
            hasher.update(data: chunk)
            try handle.write(contentsOf: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    func storedSHA256(_ store: any ObjectStore, _ key: ObjectKey) async throws -> String? {
        guard try await store.head(key) != nil else { return nil }
        var hasher = SHA256()
        try await store.get(key).body.write { chunk in chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Waits for a random point of a local ingest, by what the worker has done rather than by
    /// time (which varies with the machine's load): most often while the temporary file is being
    /// written, otherwise just after it was moved into place (verifying, recording, deleting).
    func waitForLocalProgress(scratch: String, key: ObjectKey, store: any ObjectStore) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        if Int.random(in: 0..<10) < 7 {
            let target = Int64.random(in: 0..<Int64(Self.size))
            while ContinuousClock.now < deadline {
                let parts = (try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []
                let written = parts.compactMap {
                    (try? FileManager.default.attributesOfItem(atPath: scratch + "/" + $0)[.size] as? NSNumber)?.int64Value
                }.max() ?? 0
                if written >= target { return }
                if try await store.head(key) != nil { return }  // already past the upload
                try await Task.sleep(for: .milliseconds(2))
            }
        } else {
            while ContinuousClock.now < deadline, try await store.head(key) == nil {
                try await Task.sleep(for: .milliseconds(2))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...60)))
        }
    }

    @Test("ten or more kills during a 500 MB ingest", arguments: stores)
    func killedRepeatedly(storeName: String) async throws {
        try await withTestCatalog(.sqlite, clock: SystemClock(), shareable: true) { catalog, scratch in
            // setup
            let directory = try TemporaryDirectory.create()
            defer { directory.remove() }
            let source = directory.path + "/recorder-out/session.mp4"
            try FileManager.default.createDirectory(atPath: directory.path + "/recorder-out", withIntermediateDirectories: true)
            let digest = try makeSource(at: source)
            let recording = try await Fixtures.recording(catalog, status: .processing)
            let key = try ObjectKey(recording.keyPrefix + "session.mp4")
            let jobID = try await catalog.pool.jobs.enqueue(
                try IngestFilesJob.newJob(
                    .init(recordingID: recording.id, items: [IngestItem(sourcePath: source, key: key.rawValue, asset: .mp4)],
                          deleteSources: true))
            ).id

            var environment = [
                "DATABASE_URL": scratch.url, "TAPEDECK_DATA_DIR": directory.path + "/data", "TAPEDECK_LOG_LEVEL": "warning",
                "TAPEDECK_JOB_LEASE_SECONDS": "5",
            ]
            let store: any ObjectStore
            if storeName.hasPrefix("s3:") {
                let prefix = "crash-\(UUID().uuidString.prefix(6))"
                environment.merge([
                    "TAPEDECK_STORAGE": "s3", "TAPEDECK_S3_ENDPOINT": String(storeName.dropFirst(3)),
                    "TAPEDECK_S3_BUCKET": TestS3.bucket, "TAPEDECK_S3_ACCESS_KEY_ID": "testing",
                    "TAPEDECK_S3_SECRET_ACCESS_KEY": "testing", "TAPEDECK_S3_PREFIX": prefix,
                ]) { $1 }
                store = try TestS3.store(endpoint: String(storeName.dropFirst(3)), prefix: prefix + "/")
            } else {
                store = LocalDiskStore(
                    root: directory.path + "/data/objects", scratch: directory.path + "/data/tmp",
                    signer: MediaURLSigner(secret: Array(repeating: 1, count: 32), baseURL: "http://x"))
            }

            func invariantHolds() async throws {
                let sourceExists = FileManager.default.fileExists(atPath: source)
                if !sourceExists {
                    #expect(try await storedSHA256(store, key) == digest, "source gone, so the stored copy must be verified")
                    #expect(try await catalog.pool.assets.list(recordingID: recording.id).count == 1)
                }
            }

            // Calibrate: how long does one uninterrupted ingest of this file take here? (A copy under
            // another key, source kept.) Kills then land at random points within that time.
            let calibrationKey = recording.keyPrefix + "calibration.mp4"
            let calibrationJob = try await catalog.pool.jobs.enqueue(
                try IngestFilesJob.newJob(
                    .init(recordingID: recording.id, items: [IngestItem(sourcePath: source, key: calibrationKey)],
                          deleteSources: false))
            ).id
            // The real job waits while calibrating.
            try await catalog.database.sql.raw("UPDATE jobs SET run_at = \(bind: Int64.max / 2) WHERE id = \(bind: jobID)").run()
            let calibrator = try ProcessRunner.start(
                BuildProducts.path("tapedeck"), ["worker"], environment: environment, logPrefix: directory.path + "/calibrate")
            let calibrationStart = ContinuousClock.now
            while try await catalog.pool.jobs.find(id: calibrationJob)?.state != .done,
                ContinuousClock.now - calibrationStart < .seconds(120)
            {
                try await Task.sleep(for: .milliseconds(10))
            }
            let ingestTime = (ContinuousClock.now - calibrationStart) / .seconds(1)
            kill(calibrator.processIdentifier, SIGKILL)
            try await ProcessRunner.waitForExit(calibrator)
            try await store.delete(try ObjectKey(calibrationKey))
            try await catalog.database.sql.raw("UPDATE jobs SET run_at = 0 WHERE id = \(bind: jobID)").run()

            // action: kill the worker at random moments after it has claimed the job
            var kills = 0
            var rounds = 0
            // Within the first 60%: the machine's load varies, and a kill after the job finished would not count.
            let window = max(0.1, ingestTime * 0.6)
            while kills < 10, rounds < 60 {
                rounds += 1
                let before = try #require(try await catalog.pool.jobs.find(id: jobID))
                if before.state == .done { break }
                let worker = try ProcessRunner.start(
                    BuildProducts.path("tapedeck"), ["worker"], environment: environment,
                    logPrefix: directory.path + "/worker-\(rounds)")
                // Wait until this worker holds the job, then let it work a random while.
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline {
                    let job = try #require(try await catalog.pool.jobs.find(id: jobID))
                    if job.state == .done || (job.state == .running && job.attempts > before.attempts) { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                if storeName == "local" {
                    try await waitForLocalProgress(scratch: directory.path + "/data/tmp/\(worker.processIdentifier)", key: key, store: store)
                } else {
                    // An upload resumes where the last one stopped, so the work left shrinks with
                    // every round: each kill lands within a tenth of the window, and ten of them
                    // spread over the whole upload instead of finishing it in three.
                    try await Task.sleep(for: .milliseconds(Int.random(in: 0...max(1, Int(window * 100)))))
                }
                let stateAtKill = try #require(try await catalog.pool.jobs.find(id: jobID)).state
                kill(worker.processIdentifier, SIGKILL)
                try await ProcessRunner.waitForExit(worker)
                if stateAtKill == .running { kills += 1 }
                try await invariantHolds()
                // Time passes for the dead worker's lease (rather than waiting it out).
                try await catalog.database.sql.raw(
                    "UPDATE jobs SET locked_until = 0 WHERE id = \(bind: jobID) AND state = 'running'"
                ).run()
            }
            #expect(kills >= 10, "only \(kills) kills landed while the job ran")

            // Let a worker finish the job.
            let finisher = try ProcessRunner.start(
                BuildProducts.path("tapedeck"), ["worker"], environment: environment, logPrefix: directory.path + "/finisher")
            let deadline = ContinuousClock.now + .seconds(180)
            while try await catalog.pool.jobs.find(id: jobID)?.state != .done, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            kill(finisher.processIdentifier, SIGTERM)
            try await ProcessRunner.waitForExit(finisher)

            // check
            let job = try #require(try await catalog.pool.jobs.find(id: jobID))
            #expect(job.state == .done, "job ended \(job.state): \(job.lastError ?? "")")
            #expect(!FileManager.default.fileExists(atPath: source))
            #expect(try await storedSHA256(store, key) == digest, "stored byte-identical")
            let assets = try await catalog.pool.assets.list(recordingID: recording.id)
            #expect(assets.count == 1 && assets[0].sizeBytes == Int64(Self.size))
            #expect(try await catalog.pool.recordings.find(id: recording.id)?.status == .ready)
            #expect(try await store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 10).objects.map(\.key) == [key.rawValue],
                    "stored exactly once")
            if storeName == "local" {
                let leftovers = (try? FileManager.default.subpathsOfDirectory(atPath: directory.path + "/data/tmp")) ?? []
                #expect(leftovers.filter { $0.hasSuffix(".part") }.isEmpty, "no abandoned temporary files: \(leftovers)")
            } else {
                _ = try await store.deletePrefix("")
            }
        }
    }
}
