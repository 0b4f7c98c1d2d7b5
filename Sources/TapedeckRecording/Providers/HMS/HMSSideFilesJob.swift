import AsyncHTTPClient
import Foundation
import HMS
import Logging
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// 100ms' chat and summary of a recording, copied into its own folder once the recording is
/// ready (queued with `ready` by the copy-in, and again by `transcription.success`, which is when
/// a summary appears). They never hold readiness back and never fail the recording: a copy that
/// fails is logged, written to the recording's events and retried from the queue.
///
/// As for the MP4: the files are fetched from presigned URLs Tapedeck asks 100ms for (never a
/// URL a webhook carried), streamed, and their sizes checked. Their names are Tapedeck's
/// (`chat.csv`, `summary.json`): nothing 100ms or a participant names reaches a key. Running
/// again after a crash copies only what is not stored whole yet.
package struct HMSSideFilesJob: JobHandler {
    static package let kind = "hms.copy_side_files"
    package var kind: String { Self.kind }
    package let recorder: HMSRecorder
    package let store: any ObjectStore
    package let http: HTTPClient

    /// A chat or summary is small; a copy slower than this is retried with a fresh URL.
    static package let downloadTimeout: TimeAmount = .minutes(10)
    static package let failedEvent = "recording.asset_copy_failed"

    /// One job per trigger: a summary redone later is copied again.
    static package func newJob(recordingID: UUID, reason: String) throws -> NewJob {
        try NewJob(
            kind: kind, payload: RecordingJobPayload(recordingID: recordingID),
            idempotencyKey: "\(kind):\(recordingID.uuidString.lowercased()):\(reason)", maxAttempts: 10)
    }

    /// The kind a 100ms asset type is kept as, for the types copied here.
    static package func assetKind(ofType type: String) -> AssetKind? {
        switch type {
        case "chat": return .chat
        case "summary": return .summary
        default: return nil
        }
    }

    /// The finished side files among `assets`: one per kind (the newest when 100ms lists several).
    static package func sideFiles(in assets: [HMSAsset]) -> [(AssetKind, HMSAsset)] {
        var chosen: [AssetKind: HMSAsset] = [:]
        for asset in assets where asset.status == "completed" {
            guard let kind = assetKind(ofType: asset.type) else { continue }
            if let other = chosen[kind], (other.createdAt ?? .distantPast) >= (asset.createdAt ?? .distantPast) { continue }
            chosen[kind] = asset
        }
        return [AssetKind.chat, .summary].compactMap { kind in chosen[kind].map { (kind, $0) } }
    }

    /// The file name in the recording's folder: Tapedeck's, with the extension of 100ms' file
    /// only when it is one of the formats 100ms writes for that kind.
    static package func fileName(_ kind: AssetKind, path: String?) -> String {
        let allowed = kind == .chat ? ["csv", "json", "txt"] : ["json", "txt"]
        let given = path.map { ($0 as NSString).pathExtension.lowercased() } ?? ""
        return "\(kind.rawValue)." + (allowed.contains(given) ? given : allowed[0])
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        guard recording.status == .ready else {
            if recording.status.isFinal { return }
            throw JobOutcome.postpone(reason: "the recording is not copied in yet", seconds: 30)
        }
        guard let hmsID = recording.providerRecordingID else { return }
        let hms = try await recorder.api.recording(id: hmsID)
        var assets = hms.assets ?? []
        if Self.sideFiles(in: assets).count < 2 {
            // A session can hold several recordings: only this recording's own files.
            let listed = try await recorder.api.assets(roomID: hms.roomID, sessionID: hms.sessionID).filter { $0.jobID == hms.id }
            assets += listed.filter { asset in !assets.contains { $0.id == asset.id } }
        }
        var failures: [String] = []
        for (kind, asset) in Self.sideFiles(in: assets) {
            do {
                try await copy(asset, as: kind, into: recording, logger: logger)
            } catch {
                failures.append("\(kind.rawValue): \(error)")
                logger.warning(
                    "100ms \(kind.rawValue) not copied; retried", metadata: ["recording": "\(recording.id)", "error": "\(error)"])
                try? await recorder.catalog.pool.events.append(
                    NewAuditEvent(
                        recordingID: recording.id, sessionID: recording.sessionID, type: Self.failedEvent, actor: HMSRecorder.provider,
                        data: ["kind": kind.rawValue, "asset": asset.id, "attempt": "\(job.attempts)", "error": String("\(error)".prefix(500))]))
            }
        }
        if !failures.isEmpty { throw HMSError(status: 0, message: failures.joined(separator: "; ")) }
    }

    private func copy(_ asset: HMSAsset, as kind: AssetKind, into recording: Recording, logger: Logger) async throws {
        let key = try ObjectKey(recording.keyPrefix + Self.fileName(kind, path: asset.path))
        if let stored = recording.assets.first(where: { $0.key == key.rawValue && $0.kind == kind }),
            let size = stored.sizeBytes, asset.size.map({ $0 == size }) ?? true, try await store.head(key)?.size == size
        {
            return
        }
        let size = try await HMSDownload(api: recorder.api, store: store, http: http).copy(asset, to: key, timeout: Self.downloadTimeout)
        let kept = try await recorder.catalog.transaction { tx -> Bool in
            // Holds the row until the commit: a deletion waits for this asset to be listed (and its
            // purge to find it), or came first and is seen here.
            try await tx.recordings.touch(recording.id)
            guard try await tx.recordings.find(id: recording.id)?.status == .ready else { return false }
            try await tx.assets.upsert(
                NewAsset(recordingID: recording.id, kind: kind, key: key.rawValue, contentType: ContentTypes.forKey(key.rawValue), sizeBytes: size))
            return true
        }
        guard kept else {
            // Deleted (or otherwise no longer ready) while the file was copied: nothing may stay.
            try? await store.delete(key)
            return
        }
        logger.info("copied a 100ms \(kind.rawValue)", metadata: ["recording": "\(recording.id)", "bytes": "\(size)"])
    }
}
