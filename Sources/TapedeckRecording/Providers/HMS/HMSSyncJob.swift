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

/// Copies a completed 100ms recording's composite MP4 into storage and marks it ready (then
/// queues its chat and summary, ``HMSSideFilesJob``). One such job per recording, so no two
/// copies of one file ever run at once.
package struct HMSCopyJob: RecordingJob {
    static package let kind = "hms.copy_recording"
    static package let maxAttempts = 16
    package let recorder: HMSRecorder
    package let store: any ObjectStore
    package let http: HTTPClient

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        if recording.status == .deleted {
            // Failed and deleted before (or while) a run copied the file, which may have landed
            // after the purge: it goes now, as nothing else would delete it.
            try await PurgeRecordingObjectsJob(catalog: recorder.catalog, store: store).purge(
                recording.id, under: recording.keyPrefix, unlisted: [Self.copyKey(of: recording)], logger: logger)
            return
        }
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
        let (key, stored) = try await place(composite, of: recording, logger: logger)
        let durationMs = composite.duration.map { Int64(($0 * 1000).rounded()) }
        let listed = try await catalog.transaction { tx -> Bool in
            // Failed and deleted while the file was copied: the purge may have run before it landed.
            guard try await tx.recordings.statusHoldingRow(recording.id) != .deleted else { return false }
            try await tx.assets.upsert(
                NewAsset(
                    recordingID: recording.id, kind: recording.audioOnly ? .audio : .mp4, key: key.rawValue,
                    contentType: ContentTypes.forKey(key.rawValue), sizeBytes: stored, durationMs: durationMs))
            try await RecordingLifecycle.markReady(
                tx, recording.id, actor: HMSRecorder.provider, cause: "copied from 100ms and verified",
                changes: RecordingChanges(startedAt: hms.startedAt, endedAt: hms.stoppedAt, durationMs: durationMs, sizeBytes: stored))
            // Chat and summary follow the MP4, from the queue: they never hold readiness back.
            try await tx.jobs.enqueue(try HMSSideFilesJob.newJob(recordingID: recording.id, reason: "copy-in"))
            return true
        }
        guard listed else {
            // The copy goes; a file 100ms wrote into Tapedeck's bucket (adopted, outside the
            // folder) is 100ms' and stays where it was (the purge deletes only keys in the folder).
            try await PurgeRecordingObjectsJob(catalog: catalog, store: store).purge(
                recording.id, under: recording.keyPrefix, unlisted: [key.rawValue], logger: logger)
            return
        }
        logger.info("copied a 100ms recording", metadata: ["recording": "\(recording.id)", "bytes": "\(stored)"])
        await HMSTranscriptCopy(recorder: recorder, http: http).copy(assets, into: recording, logger: logger)
    }

    /// Where the composite is copied to, in the recording's folder.
    static func copyKey(of recording: Recording) -> String {
        recording.keyPrefix + (recording.audioOnly ? "recording.m4a" : "recording.mp4")
    }

    /// Where the composite is kept: where 100ms wrote it when that is Tapedeck's own bucket and
    /// HEAD finds it whole (the size 100ms reports) and no other recording names it; otherwise
    /// copied into the recording's own folder. A file that differs is never adopted: copying
    /// from 100ms again is always safe.
    private func place(_ composite: HMSAsset, of recording: Recording, logger: Logger) async throws -> (ObjectKey, Int64) {
        if let key = recorder.ownBucket?.key(of: composite.path), let found = try await store.head(key) {
            let named = try await recorder.catalog.pool.assets.isNamed(key.rawValue, byOtherThan: recording.id)
            if composite.size.map({ $0 == found.size }) ?? (found.size > 0), !named {
                logger.info("100ms wrote the recording into Tapedeck's bucket: checked, not copied", metadata: ["key": "\(key)"])
                return (key, found.size)
            }
            logger.warning(
                "100ms' file in Tapedeck's bucket is not adopted; copying it instead",
                metadata: ["key": "\(key)", "bytes": "\(found.size)", "expected": "\(composite.size ?? -1)", "named_elsewhere": "\(named)"])
        }
        let key = try ObjectKey(Self.copyKey(of: recording))
        return (key, try await HMSDownload(api: recorder.api, store: store, http: http).copy(composite, to: key))
    }
}
