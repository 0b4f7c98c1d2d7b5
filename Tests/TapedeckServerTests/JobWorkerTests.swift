import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import HummingbirdTesting
import Testing
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

/// A handler whose behaviour the test scripts.
final class ScriptedHandler: JobHandler, Sendable {
    let kind: String
    let behaviour: @Sendable (Job) async throws -> Void
    let runs = Mutex<[Int64]>([])
    let concurrent = Mutex<(now: Int, peak: Int)>((0, 0))

    init(kind: String, behaviour: @escaping @Sendable (Job) async throws -> Void = { _ in }) {
        self.kind = kind
        self.behaviour = behaviour
    }

    func run(_ job: Job, logger: Logger) async throws {
        runs.withLock { $0.append(job.id) }
        concurrent.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        defer { concurrent.withLock { $0.now -= 1 } }
        try await behaviour(job)
    }
}

@Suite("Job worker")
struct JobWorkerTests {
    /// Runs a worker until `done` says so (or 20 s pass), then shuts it down gracefully.
    func runWorker(
        _ catalog: Catalog, handlers: [any JobHandler], concurrency: Int = 4,
        retry: RetryPolicy = RetryPolicy(initialDelay: 0.05, maximumDelay: 0.05, jitterFraction: 0),
        until done: @escaping @Sendable () async throws -> Bool
    ) async throws {
        let worker = JobWorker(
            catalog: catalog, handlers: JobHandlers(handlers),
            options: .init(concurrency: concurrency, leaseSeconds: 30, pollInterval: .milliseconds(20), retry: retry),
            metrics: ServiceMetrics(), wakeup: WakeupSignal(), logger: TestLogger.make())
        let group = ServiceGroup(services: [worker], logger: TestLogger.make())
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(20)
            while try await !done(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("runs jobs to completion, at most `concurrency` at once", arguments: TestDatabase.all)
    func completes(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: SystemClock()) { catalog in
            let handler = ScriptedHandler(kind: "work") { _ in try await Task.sleep(for: .milliseconds(30)) }
            for _ in 0..<20 { try await catalog.pool.jobs.enqueue(NewJob(kind: "work")) }
            try await runWorker(catalog, handlers: [handler], concurrency: 3) {
                try await catalog.pool.jobs.counts().isEmpty
            }
            #expect(handler.runs.withLock { $0.count } == 20)
            #expect(Set(handler.runs.withLock { $0 }).count == 20, "no job ran twice")
            #expect(handler.concurrent.withLock { $0.peak } <= 3)
            #expect(handler.concurrent.withLock { $0.peak } >= 2, "jobs ran in parallel")
        }
    }

    @Test("failures retry, then die with the error; unknown kinds die at once", arguments: TestDatabase.all)
    func failures(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: SystemClock()) { catalog in
            struct Flaky: Error, CustomStringConvertible { var description: String { "storage said no" } }
            let flaky = ScriptedHandler(kind: "flaky") { job in if job.attempts < 3 { throw Flaky() } }
            let broken = ScriptedHandler(kind: "broken") { _ in throw Flaky() }
            let fatal = ScriptedHandler(kind: "fatal") { _ in throw JobOutcome.permanentFailure("payload names no recording") }
            let jobs = catalog.pool.jobs
            let flakyID = try await jobs.enqueue(NewJob(kind: "flaky", maxAttempts: 5)).id
            let brokenID = try await jobs.enqueue(NewJob(kind: "broken", maxAttempts: 2)).id
            let fatalID = try await jobs.enqueue(NewJob(kind: "fatal", maxAttempts: 5)).id
            let unknownID = try await jobs.enqueue(NewJob(kind: "mystery")).id
            try await runWorker(catalog, handlers: [flaky, broken, fatal]) {
                try await jobs.counts().allSatisfy { $0.state == .dead }
            }
            let done = try #require(try await jobs.find(id: flakyID))
            #expect(done.state == .done && done.attempts == 3)
            let dead = try #require(try await jobs.find(id: brokenID))
            #expect(dead.state == .dead && dead.attempts == 2 && dead.lastError == "storage said no")
            let permanent = try #require(try await jobs.find(id: fatalID))
            #expect(permanent.state == .dead && permanent.attempts == 1)
            #expect(permanent.lastError == "payload names no recording")
            #expect(try await jobs.find(id: unknownID)?.lastError == "no handler for job kind mystery")
        }
    }

    @Test("a postponed job waits without using attempts", arguments: TestDatabase.all)
    func postpone(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: SystemClock()) { catalog in
            let handler = ScriptedHandler(kind: "needs-tool") { _ in
                throw JobOutcome.postpone(reason: "ffmpeg is not installed", seconds: 3600)
            }
            let id = try await catalog.pool.jobs.enqueue(NewJob(kind: "needs-tool", maxAttempts: 1)).id
            try await runWorker(catalog, handlers: [handler]) { handler.runs.withLock { !$0.isEmpty } }
            let job = try #require(try await catalog.pool.jobs.find(id: id))
            #expect(job.state == .queued && job.attempts == 0)
            #expect(job.lastError == "ffmpeg is not installed")
            #expect(job.runAt > Date().addingTimeInterval(3000))
        }
    }

    @Test("graceful shutdown lets a running job finish", arguments: TestDatabase.all)
    func gracefulShutdown(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: SystemClock()) { catalog in
            let handler = ScriptedHandler(kind: "slow") { _ in try await Task.sleep(for: .milliseconds(500)) }
            let id = try await catalog.pool.jobs.enqueue(NewJob(kind: "slow")).id
            // Shut down as soon as the job has started.
            try await runWorker(catalog, handlers: [handler]) { handler.runs.withLock { !$0.isEmpty } }
            #expect(try await catalog.pool.jobs.find(id: id)?.state == .done)
        }
    }

    /// `DELETE /v1/recordings/{id}`, then the app's own job handlers until the queue is empty.
    func deleteAndPurge(_ recording: Recording, app: TestApp, client: any TestClientProtocol) async throws {
        let response = try await client.execute(uri: "/v1/recordings/\(recording.id)", method: .delete, headers: app.authorization)
        #expect(response.status == .accepted)
        try await runWorker(app.catalog, handlers: app.dependencies.jobHandlers.kinds.compactMap {
            app.dependencies.jobHandlers.handler(for: $0)
        }) { try await app.catalog.pool.jobs.counts().isEmpty }
    }

    @Test("deleting a recording removes its objects and asset rows", arguments: TestDatabase.all)
    func purge(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let recording = try await Fixtures.recording(
                app.catalog, room: "r", assets: [(.mp4, "session.mp4"), (.hls, "index.m3u8")])
            for asset in recording.assets {
                _ = try await app.store.put(
                    try .init(asset.key), body: [ByteBuffer(string: "media bytes")].async, contentType: nil)
            }
            // A neighbour under a similar prefix must survive.
            let neighbour = try Fixtures.neighbourKey(of: recording)
            _ = try await app.store.put(neighbour, body: [ByteBuffer(string: "keep")].async, contentType: nil)

            try await deleteAndPurge(recording, app: app, client: client)

            for asset in recording.assets {
                #expect(try await app.store.head(try .init(asset.key)) == nil)
            }
            #expect(try await app.store.head(neighbour) != nil)
            #expect(try await app.catalog.pool.assets.list(recordingID: recording.id).isEmpty)
            #expect(try await app.catalog.pool.recordings.find(id: recording.id)?.status == .deleted)
        }
    }

    /// Recordings made before each had a folder of its own share their session's folder (and,
    /// through the old overwrite bug, its file names). Deleting one must leave every object another
    /// recording still names alone; recordings in folders of their own are emptied whole.
    /// Room names with combining marks and joined emoji count differently as Swift characters
    /// and as the code points SQL counts: the overlap query must not miss a neighbour for them.
    @Test(
        "deleting a recording that shared its session's folder deletes only its own objects",
        arguments: TestDatabase.all,
        [("shared", false), ("cafe\u{301}-\u{1F469}\u{200D}\u{1F4BB}", false), ("shared", true), ("\u{915}\u{93F}", true)])
    func purgeSharedFolder(database: TestDatabase, room: (name: String, ownFirst: Bool)) async throws {
        let roomName = room.name
        try await TestApp.with(database) { app, client in
            let (legacyA, legacyB, own, legacyPrefix) = try await app.catalog.transaction { tx in
                let room = try await tx.rooms.findOrCreate(name: roomName, provider: "livekit")
                let session = try await tx.sessions.create(
                    roomID: room.id, roomName: room.name, providerSessionID: "RM_\(roomName.unicodeScalars.count)",
                    startedAt: tx.clock.now())
                let legacy = StorageNaming.keySegment(room.name) + "/" + StorageNaming.keySegment(session.key) + "/"
                var made: [Recording] = []
                for prefix in [legacy, legacy, nil] {
                    let id = UUID()
                    let keyPrefix = prefix ?? StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id)
                    _ = try await tx.recordings.insert(
                        NewRecording(
                            id: id, roomID: room.id, sessionID: session.id, provider: "livekit", status: .ready,
                            storage: "local", keyPrefix: keyPrefix))
                    try await tx.assets.upsert(
                        NewAsset(recordingID: id, kind: .hls, key: keyPrefix + "index.m3u8", contentType: "application/vnd.apple.mpegurl"))
                    try await tx.assets.upsert(
                        NewAsset(recordingID: id, kind: .mp4, key: keyPrefix + "session.mp4", contentType: "video/mp4"))
                    made.append(try await tx.recordings.find(id: id)!)
                }
                return (made[0], made[1], made[2], legacy)
            }
            let playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nsegment_00000.ts\n#EXT-X-ENDLIST\n"
            for prefix in [legacyPrefix, own.keyPrefix] {
                _ = try await app.store.put(try .init(prefix + "index.m3u8"), body: [ByteBuffer(string: playlist)].async, contentType: nil)
                _ = try await app.store.put(try .init(prefix + "segment_00000.ts"), body: [ByteBuffer(string: "ts")].async, contentType: nil)
                _ = try await app.store.put(try .init(prefix + "session.mp4"), body: [ByteBuffer(string: "mp4")].async, contentType: nil)
            }
            let neighbour = try Fixtures.neighbourKey(of: own)
            _ = try await app.store.put(neighbour, body: [ByteBuffer(string: "keep")].async, contentType: nil)
            let names = ["index.m3u8", "segment_00000.ts", "session.mp4"]
            func exists(_ prefix: String) async throws -> [Bool] {
                var found: [Bool] = []
                for name in names { found.append(try await app.store.head(try .init(prefix + name)) != nil) }
                return found
            }
            func delete(_ recording: Recording) async throws { try await deleteAndPurge(recording, app: app, client: client) }

            if room.ownFirst {
                // The recording in its own folder, inside the old recordings' session folder, goes
                // first: its folder is emptied, theirs untouched.
                try await delete(own)
                #expect(try await exists(own.keyPrefix) == [false, false, false])
                #expect(try await exists(legacyPrefix) == [true, true, true])
                try await delete(legacyA)
                #expect(try await exists(legacyPrefix) == [true, true, true])
                try await delete(legacyB)
                #expect(try await exists(legacyPrefix) == [false, false, false])
                #expect(try await app.store.head(neighbour) != nil)
                return
            }
            // A's objects are all named by B too: nothing goes.
            try await delete(legacyA)
            #expect(try await exists(legacyPrefix) == [true, true, true])
            #expect(try await exists(own.keyPrefix) == [true, true, true])
            // B is the last to name them; the recording in its own folder inside theirs keeps everything.
            try await delete(legacyB)
            #expect(try await exists(legacyPrefix) == [false, false, false])
            #expect(try await exists(own.keyPrefix) == [true, true, true])
            // Alone in its folder: emptied whole, and nothing beside it.
            try await delete(own)
            #expect(try await exists(own.keyPrefix) == [false, false, false])
            #expect(try await app.store.head(neighbour) != nil)
        }
    }
}
