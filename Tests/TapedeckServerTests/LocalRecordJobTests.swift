import Foundation
import Logging
import Media
import NIOCore
import Testing
import TapedeckCore
@testable import TapedeckServer
import TapedeckStore
import TestSupport
@testable import TapedeckRecording

/// The local recorder's job on the paths a crash or a bad request takes, without ffmpeg.
@Suite("Local recorder job")
struct LocalRecordJobTests {
    func start(_ app: TestApp, room: String, input: String = "synthetic://") async throws -> Recording {
        try await app.catalog.transaction { tx in
            try #require(
                try await LocalRecorder(catalog: app.catalog, storageBackend: "local", wakeup: WakeupSignal()).start(
                    tx, .init(room: room, input: input, maxDurationS: nil, title: nil, participants: [], requestedBy: "test",
                              requestKey: nil)))
        }
    }

    /// The recorder job of `recording` (other jobs, such as outbound webhook fan-outs, stay queued).
    func claim(_ app: TestApp, for recording: Recording) async throws -> Job {
        let jobs = try await app.catalog.transaction { tx in
            try await tx.jobs.claim(workerID: "test", limit: 100, leaseSeconds: 60)
        }
        return try #require(jobs.first {
            $0.kind == LocalRecordJob.kind && (try? $0.payload(as: RecordingJobPayload.self).recordingID) == recording.id
        })
    }

    func job(_ app: TestApp, directory: TemporaryDirectory) -> LocalRecordJob {
        LocalRecordJob(
            catalog: app.catalog, store: app.store, tools: .failure(MediaToolError.missing("ffmpeg is not installed")),
            workDirectory: directory.path, logger: TestLogger.make())
    }

    /// A finish that runs again after the playlist was stored (and its local copy removed) ends
    /// the recording `ready` from what is stored, never `failed` for want of a local playlist.
    @Test("a retried finish decides from the stored playlist", arguments: TestDatabase.all)
    func retriedFinish(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, _ in
            let work = try TemporaryDirectory.create()
            defer { work.remove() }
            let recording = try await start(app, room: "studio")
            _ = try await app.catalog.pool.recordings.transition(recording.id, to: .recording, actor: "test", cause: "ffmpeg started")
            // The earlier run stored both segments and the playlist, then died before the status.
            let playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nsegment_00000.ts\n#EXTINF:4.5,\nsegment_00001.ts\n#EXT-X-ENDLIST\n"
            for name in ["segment_00000.ts", "segment_00001.ts"] {
                _ = try await app.store.put(try .init(recording.keyPrefix + name), body: [ByteBuffer(string: "ts")].async, contentType: nil)
            }
            _ = try await app.store.put(try .init(recording.keyPrefix + "index.m3u8"), body: [ByteBuffer(string: playlist)].async, contentType: nil)
            try await app.catalog.pool.assets.upsert(
                NewAsset(recordingID: recording.id, kind: .hls, key: recording.keyPrefix + "index.m3u8", contentType: "application/vnd.apple.mpegurl"))
            let folder = work.path + "/" + recording.id.uuidString.lowercased()
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: folder + "/started", contents: Data("synthetic://".utf8)))

            try await job(app, directory: work).run(try await claim(app, for: recording), logger: TestLogger.make())
            let done = try #require(try await app.catalog.pool.recordings.find(id: recording.id))
            #expect(done.status == .ready, "\(done.error ?? "")")
            #expect(done.durationMs == 10_500)
            #expect(try await app.catalog.pool.sessions.find(id: recording.sessionID!)?.endedAt != nil)
        }
    }

    /// Every way a local recording can end before ffmpeg runs closes its session, so that no
    /// later session of the room (a LiveKit one, say) takes it over.
    @Test("early exits close the recording's session", arguments: TestDatabase.all)
    func earlyExitsCloseTheSession(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, _ in
            let work = try TemporaryDirectory.create()
            defer { work.remove() }
            // Stopped before it began: aborted.
            let stopped = try await start(app, room: "stopped-early")
            _ = try await app.catalog.pool.recordings.transition(stopped.id, to: .stopping, actor: "test", cause: "stop")
            try await job(app, directory: work).run(try await claim(app, for: stopped), logger: TestLogger.make())
            // No ffmpeg on this machine's job: failed.
            let missing = try await start(app, room: "no-tools")
            try await job(app, directory: work).run(try await claim(app, for: missing), logger: TestLogger.make())
            for (recording, status) in [(stopped, RecordingStatus.aborted), (missing, .failed)] {
                #expect(try await app.catalog.pool.recordings.find(id: recording.id)?.status == status)
                #expect(try await app.catalog.pool.sessions.find(id: recording.sessionID!)?.endedAt != nil, "\(status)")
            }
        }
    }
}
