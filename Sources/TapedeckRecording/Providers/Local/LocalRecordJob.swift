import Foundation
import Logging
import Media
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs ffmpeg for one local recording, for as long as it records, then brings its HLS into the
/// store and marks the recording ready (post-processing then adds the MP4 and thumbnail).
///
/// ffmpeg writes into `{data dir}/recorder/{id}/`, rewriting the playlist after every segment.
/// A `started` marker is written before ffmpeg is launched: if this job runs again after a crash,
/// it stops any ffmpeg still writing there and finishes the recording with what was written,
/// rather than recording twice.
package struct LocalRecordJob: RecordingJob {
    static package let kind = "local.record"
    static package let maxAttempts = 5
    package let catalog: Catalog
    package let store: any ObjectStore
    package let tools: Result<MediaTools, MediaToolError>
    package let workDirectory: String
    package let logger: Logger
    /// How often the job looks for a stop request.
    package var pollInterval: Duration = .milliseconds(250)

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: catalog)
        let id = recording.id
        guard !recording.status.isFinal else { return }
        let directory = workDirectory + "/" + id.uuidString.lowercased()
        let marker = directory + "/started"
        await Self.stopLeftoverRecorders(writingInto: directory)

        if FileManager.default.fileExists(atPath: marker) {
            // An earlier run launched ffmpeg and did not finish: keep what it wrote.
            try await finish(recording, directory: directory, outcome: .interrupted)
            return
        }
        if recording.status == .stopping {
            try await end(recording, as: .aborted, cause: "stopped before recording began")
            return
        }
        let tools: MediaTools
        switch self.tools {
        case .success(let found): tools = found
        case .failure(let missing):
            try await end(recording, as: .failed, cause: "cannot record", changes: RecordingChanges(error: missing.description))
            return
        }
        guard let json = recording.requestJSON,
            let request = try? JSONDecoder().decode(LocalRecorder.Request.self, from: Data(json.utf8)),
            case .success(let input) = RecorderInput.parse(request.input)
        else {
            try await end(
                recording, as: .failed, cause: "cannot record",
                changes: RecordingChanges(error: "the recording's input is missing or no longer valid"))
            return
        }

        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: marker, contents: Data(request.input.utf8)) else {
            throw LocalRecorderError("cannot write \(marker)")
        }
        let running = try tools.record(input, maxDurationS: recording.maxDurationS, directory: directory)
        _ = try await catalog.pool.recordings.transition(
            id, to: .recording, actor: "system", cause: "ffmpeg started",
            changes: RecordingChanges(providerRecordingID: "ffmpeg:\(running.pid)", startedAt: catalog.clock.now()))
        logger.info("local recording started", metadata: ["recording": "\(id)", "pid": "\(running.pid)"])

        let (status, stderr, stopped) = try await watch(running, recordingID: id)
        let outcome: Outcome = stopped ? .stopped : status == 0 ? .inputEnded : .ffmpegFailed(status: status, stderr: stderr)
        try await finish(recording, directory: directory, outcome: outcome)
    }

    /// Ends a recording that never started recording, and its session (each local recording has
    /// a session of its own, which must not stay open for a later session of the room to take).
    package func end(_ recording: Recording, as status: RecordingStatus, cause: String, changes: RecordingChanges = .init())
        async throws
    {
        try await catalog.transaction { tx in
            _ = try await tx.recordings.transition(recording.id, to: status, actor: "system", cause: cause, changes: changes)
            if let sessionID = recording.sessionID { try await tx.sessions.close(sessionID, at: tx.clock.now()) }
        }
    }

    /// Waits for ffmpeg, interrupting it once the recording is asked to stop (or the job is
    /// cancelled at shutdown: then the next run finishes the recording). A failed status check
    /// (SQLite busy, a PostgreSQL reconnect) is only a missed look: ffmpeg keeps recording and the
    /// next poll asks again.
    package func watch(_ running: RunningTool, recordingID: UUID) async throws -> (Int32, String, Bool) {
        var stopped = false
        do {
            while running.isRunning {
                if !stopped, let current = await currentStatus(recordingID), current != .recording, current != .starting {
                    running.interrupt()
                    stopped = true
                }
                try await Task.sleep(for: pollInterval)
            }
        } catch {
            running.interrupt()
            _ = await running.wait()
            throw error
        }
        let (status, stderr) = await running.wait()
        return (status, stderr, stopped)
    }

    /// The recording's status, or `nil` when the catalog could not be asked this time.
    package func currentStatus(_ id: UUID) async -> RecordingStatus? {
        do {
            return try await catalog.pool.recordings.find(id: id)?.status
        } catch {
            logger.warning("could not check the local recording's status; recording goes on", metadata: ["error": "\(error)"])
            return nil
        }
    }

    package enum Outcome {
        case stopped, inputEnded, interrupted
        case ffmpegFailed(status: Int32, stderr: String)
    }

    /// Stores the segments and playlist, then ends the recording: `ready` when something playable
    /// was written, `failed` (keeping what was written) when ffmpeg died or wrote nothing.
    package func finish(_ recording: Recording, directory: String, outcome: Outcome) async throws {
        let id = recording.id
        let playlistPath = directory + "/index.m3u8"
        var segments: [String] = []
        var durationMs: Int64 = 0
        if let text = try? String(contentsOfFile: playlistPath, encoding: .utf8), let playlist = try? HLSPlaylist.parse(text) {
            segments = playlist.uris
            durationMs = playlist.durationMs
            // The recording is over whatever stopped it: players should treat it as complete.
            if !text.contains("#EXT-X-ENDLIST") {
                try (text + (text.hasSuffix("\n") ? "" : "\n") + "#EXT-X-ENDLIST\n")
                    .write(toFile: playlistPath, atomically: true, encoding: .utf8)
            }
        }
        let ingestor = Ingestor(catalog: catalog, store: store, logger: logger)
        var size: Int64 = 0
        for segment in segments where !segment.contains("/") {
            size += try await ingestor.ingest(
                IngestItem(sourcePath: directory + "/" + segment, key: recording.keyPrefix + segment, contentType: "video/mp2t"),
                recordingID: id, deleteSource: true)
        }
        if !segments.isEmpty {
            // The playlist last: once it is recorded, every segment it names is stored.
            size += try await ingestor.ingest(
                IngestItem(sourcePath: playlistPath, key: recording.keyPrefix + "index.m3u8", asset: .hls),
                recordingID: id, deleteSource: true)
        }
        let now = catalog.clock.now()
        let limitReached = (recording.maxDurationS).map { durationMs >= Int64($0 - 1) * 1000 } ?? false
        var changes = RecordingChanges(endedAt: now, durationMs: durationMs, sizeBytes: size)
        var next = RecordingStatus.ready
        var cause: String
        switch outcome {
        case .stopped: cause = "stopped"
        case .inputEnded: cause = limitReached ? "max_duration_s reached" : "the input ended"
        case .interrupted: cause = "the recorder was interrupted; what it wrote is kept"
        case .ffmpegFailed(let status, let stderr):
            next = .failed
            cause = "ffmpeg failed"
            changes.error = "ffmpeg exited with status \(status): \(stderr)"
        }
        // A finish that runs again (after a crash or a failed commit) finds the playlist already
        // stored and its local copy gone: what is stored decides, not what is left on disk.
        let stored = try await catalog.pool.recordings.find(id: id)?.assets.first { $0.kind == .hls }
        if segments.isEmpty, let stored {
            do {
                let download = try await store.get(try ObjectKey(stored.key))
                let playlist = try HLSPlaylist.parse(String(buffer: try await download.body.collect(upTo: 16 << 20)))
                segments = playlist.uris
                changes.durationMs = playlist.durationMs
                changes.sizeBytes = nil
            } catch ObjectStoreError.notFound(_) {
                cause = "the stored playlist \(stored.key) is gone"
            } catch let error as HLSPlaylist.ParseError {
                cause = "the stored playlist \(stored.key) cannot be read: \(error)"
            }
        }
        if segments.isEmpty, next == .ready {
            next = .failed
            changes.error = "the recorder wrote no media (\(cause))"
        }
        if next == .ready, limitReached { changes.limitReached = true }
        let (status, reason, finalChanges) = (next, cause, changes)
        try await catalog.transaction { tx in
            try await RecordingLifecycle.finish(tx, id, as: status, actor: "system", cause: reason, changes: finalChanges)
            if let sessionID = recording.sessionID { try await tx.sessions.close(sessionID, at: now) }
        }
        try? FileManager.default.removeItem(atPath: directory)
        logger.info("local recording finished", metadata: ["recording": "\(id)", "status": "\(next.rawValue)", "cause": "\(cause)"])
    }

    /// Interrupts (then kills) any ffmpeg still writing into `directory`: one a crashed process
    /// left behind. Found through /proc by its output path, so no pid file can go stale.
    /// Waits by sleeping, not by blocking its thread: the cooperative threads answer requests.
    static package func stopLeftoverRecorders(writingInto directory: String) async {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        let needle = Data((directory + "/").utf8)
        for entry in entries {
            guard let pid = Int32(entry), pid != getpid(),
                let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), cmdline.range(of: needle) != nil
            else { continue }
            // Its stdin (the polite way to stop it) died with the old process; what it wrote so far
            // is complete up to the last segment in its playlist.
            kill(pid, SIGTERM)
            for _ in 0..<20 where kill(pid, 0) == 0 { try? await Task.sleep(for: .milliseconds(100)) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
    }
}

package struct LocalRecorderError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
