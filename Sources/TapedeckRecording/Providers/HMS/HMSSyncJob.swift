import AsyncHTTPClient
import Foundation
import HMS
import Logging
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// Brings a 100ms recording to what 100ms' REST API says about it: running, processing, failed,
/// or completed — then its files are copied into Tapedeck's storage and it becomes ready.
///
/// Webhooks and the reconciler only queue this job; it asks 100ms itself, so a forged
/// `beam.recording.success` for a recording still running changes nothing. Files are fetched
/// from presigned URLs Tapedeck asked 100ms for, streamed into the store (never whole in memory),
/// and their sizes checked; a download that fails (a URL that expired mid-copy) is retried from
/// the queue with a fresh URL.
package struct HMSSyncJob: JobHandler {
    static package let kind = "hms.sync_recording"
    package var kind: String { Self.kind }
    package let recorder: HMSRecorder

    package struct Payload: Codable, Sendable {
        package var recordingID: UUID
        package enum CodingKeys: String, CodingKey { case recordingID = "recording_id" }
    }

    /// One job per trigger (`reason`): a later webhook or reconciler pass gets a job of its own.
    static package func newJob(recordingID: UUID, reason: String) throws -> NewJob {
        try NewJob(
            kind: kind, payload: Payload(recordingID: recordingID),
            idempotencyKey: "\(kind):\(recordingID.uuidString.lowercased()):\(reason)", maxAttempts: 12)
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let catalog = recorder.catalog
        let recording = try await job.recording(in: catalog)
        guard let hmsID = recording.providerRecordingID, recording.status.isActive || recording.status == .processing else { return }
        let hms = try await recorder.api.recording(id: hmsID)
        switch hms.status {
        case .starting, .other:
            return
        case .running:
            try await catalog.transaction { tx in
                _ = try await tx.recordings.transition(
                    recording.id, to: .recording, actor: HMSRecorder.provider, cause: "100ms reports it running",
                    changes: RecordingChanges(startedAt: hms.startedAt))
                // Tapedeck asked it to stop and 100ms still records: ask again, after a while (a
                // recorder that takes its time to stop must not be asked in a tight loop).
                if try await tx.recordings.find(id: recording.id)?.status == .stopping {
                    try await tx.jobs.enqueue(
                        try HMSStopJob.newJob(
                            recordingID: recording.id, reason: "still-running:\(job.id)",
                            runAt: tx.clock.now().addingTimeInterval(HMSStopJob.askAgainAfter)))
                }
            }
        case .stopping, .postProcessing:
            _ = try await catalog.transaction { tx in
                try await tx.recordings.noteEnded(recording.id, at: hms.stoppedAt ?? tx.clock.now())
                return try await tx.recordings.transition(
                    recording.id, to: .processing, actor: HMSRecorder.provider, cause: "100ms is processing the recording")
            }
        case .failed:
            _ = try await catalog.transaction { tx in
                try await tx.recordings.transition(
                    recording.id, to: .failed, actor: HMSRecorder.provider, cause: "100ms reports the recording failed",
                    changes: RecordingChanges(endedAt: hms.stoppedAt, error: "100ms could not record this session"))
            }
        case .completed:
            // One copy per recording, however many webhooks and reconciler passes ask for it. The
            // end is kept from now on: 100ms' 15 days run from there, and a copy overdue is told.
            try await catalog.transaction { tx in
                try await tx.recordings.noteEnded(recording.id, at: hms.stoppedAt ?? tx.clock.now())
                _ = try await tx.jobs.enqueue(try HMSCopyJob.newJob(recordingID: recording.id))
            }
        }
    }
}

/// Copies a completed 100ms recording's composite MP4 into storage and marks it ready. One such
/// job per recording, so no two copies of one file ever run at once.
package struct HMSCopyJob: RecordingJob {
    static package let kind = "hms.copy_recording"
    static package let maxAttempts = 16
    package let recorder: HMSRecorder
    package let store: any ObjectStore
    package let http: HTTPClient

    /// Presigned URLs are asked for this long: a copy that takes longer is retried with a new one.
    static package let presignLifetime = 3600

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        guard let hmsID = recording.providerRecordingID, recording.status.isActive || recording.status == .processing else { return }
        let hms = try await recorder.api.recording(id: hmsID)
        guard hms.status == .completed else { return }
        try await copyIn(hms, into: recording, logger: logger)
    }

    /// Copies the composite MP4 (and marks the recording ready once it is stored and verified).
    private func copyIn(_ hms: HMSRecording, into recording: Recording, logger: Logger) async throws {
        let catalog = recorder.catalog
        var assets = hms.assets ?? []
        if assets.isEmpty {
            // A session can hold several recordings: only this recording's own files.
            let listed = try await recorder.api.assets(roomID: hms.roomID, sessionID: hms.sessionID)
            let own = listed.filter { $0.jobID == hms.id }
            assets = own.isEmpty && listed.allSatisfy({ $0.jobID == nil }) ? listed : own
        }
        let composites = assets.filter { ["room-composite", "room-composite-legacy"].contains($0.type) && $0.status == "completed" }
        guard composites.count == 1, let composite = composites.first else {
            let reason = composites.isEmpty ? "without a composite file" : "with \(composites.count) composite files"
            _ = try await catalog.transaction { tx in
                try await tx.recordings.transition(
                    recording.id, to: .failed, actor: HMSRecorder.provider, cause: "nothing to copy",
                    changes: RecordingChanges(error: "100ms reports the recording complete \(reason)"))
            }
            throw JobOutcome.permanentFailure("100ms reports recording \(hms.id) complete \(reason)")
        }
        let key = try ObjectKey(recording.keyPrefix + (recording.audioOnly ? "recording.m4a" : "recording.mp4"))
        let stored = try await copy(composite, to: key)
        let durationMs = composite.duration.map { Int64(($0 * 1000).rounded()) }
        _ = try await catalog.transaction { tx in
            try await tx.assets.upsert(
                NewAsset(
                    recordingID: recording.id, kind: recording.audioOnly ? .audio : .mp4, key: key.rawValue,
                    contentType: ContentTypes.forKey(key.rawValue), sizeBytes: stored, durationMs: durationMs))
            try await RecordingLifecycle.markReady(
                tx, recording.id, actor: HMSRecorder.provider, cause: "copied from 100ms and verified",
                changes: RecordingChanges(startedAt: hms.startedAt, endedAt: hms.stoppedAt, durationMs: durationMs, sizeBytes: stored))
        }
        logger.info("copied a 100ms recording", metadata: ["recording": "\(recording.id)", "bytes": "\(stored)"])
        await copyTranscript(assets, into: recording, logger: logger)
    }

    /// 100ms' own transcript of the recording, when it made one, becomes its captions track
    /// (JSON preferred: it names the speakers). The recording is ready without it: a transcript
    /// that cannot be read is logged and written to the recording's events, never a failure.
    private func copyTranscript(_ assets: [HMSAsset], into recording: Recording, logger: Logger) async {
        let transcripts = assets.filter { $0.type == "transcript" && $0.status == "completed" }
        guard let transcript = transcripts.first(where: { $0.outputMode == "json" }) ?? transcripts.first(where: { $0.outputMode == "srt" })
        else { return }
        let format: CaptionFileParser.Format = transcript.outputMode == "json" ? .hmsTranscriptJSON : .srt
        do {
            let presigned = try await recorder.api.presignedURL(assetID: transcript.id, lifetime: Self.presignLifetime)
            let response = try await http.execute(HTTPClientRequest(url: presigned.url), timeout: .minutes(2))
            guard response.status == .ok else {
                throw HMSError(status: Int(response.status.code), message: "downloading the transcript answered \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: CaptionFileParser.maximumBytes)
            let language = recorder.transcriptLanguage
            let cues = try CaptionFileImport.cues(Array(buffer: body), format: format, kind: .captions, language: language, source: .provider)
            let count = try await CaptionFileImport.replaceTrack(
                cues, recordingID: recording.id, kind: .captions, language: language, source: .provider, actor: HMSRecorder.provider,
                catalog: recorder.catalog)
            logger.info("copied a 100ms transcript", metadata: ["recording": "\(recording.id)", "cues": "\(count)"])
        } catch {
            logger.warning("100ms transcript not copied", metadata: ["recording": "\(recording.id)", "error": "\(error)"])
            try? await recorder.catalog.pool.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: recording.sessionID, type: "recording.transcript_failed",
                    actor: HMSRecorder.provider, data: ["asset": transcript.id, "error": String("\(error)".prefix(500))]))
        }
    }

    /// Streams one asset from a fresh presigned URL into the store; returns the bytes stored.
    private func copy(_ asset: HMSAsset, to key: ObjectKey) async throws -> Int64 {
        let presigned = try await recorder.api.presignedURL(assetID: asset.id, lifetime: Self.presignLifetime)
        let response = try await http.execute(HTTPClientRequest(url: presigned.url), timeout: .hours(6))
        guard response.status == .ok else {
            throw HMSError(status: Int(response.status.code), message: "downloading \(asset.type) answered \(response.status.code)")
        }
        let announced = response.headers.first(name: "content-length").flatMap(Int64.init)
        let info = try await store.put(key, body: response.body, contentType: ContentTypes.forKey(key.rawValue))
        for expected in [announced, asset.size].compactMap({ $0 }) where info.size != expected {
            try? await store.delete(key)
            throw HMSError(status: 0, message: "\(asset.type): stored \(info.size) bytes of \(expected)")
        }
        return info.size
    }
}
