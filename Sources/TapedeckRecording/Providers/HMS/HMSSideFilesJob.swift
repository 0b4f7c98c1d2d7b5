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
/// (`chat-<tag>.csv`, `summary-<tag>.json`, the tag a hash of 100ms' asset id): nothing 100ms or
/// a participant names reaches a key. A file 100ms regenerates is copied to a key of its own and
/// listed in place of the old copy, which is deleted only after that commits: a cut copy never
/// harms the stored one. Running again after a crash copies only what is not stored whole yet.
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

    /// The extension of the copy: that of 100ms' file only when it is one of the formats 100ms
    /// writes for that kind.
    static package func fileExtension(_ kind: AssetKind, path: String?) -> String {
        let allowed = extensions(of: kind)
        let given = path.map { ($0 as NSString).pathExtension.lowercased() } ?? ""
        return allowed.contains(given) ? given : allowed[0]
    }

    static func extensions(of kind: AssetKind) -> [String] { kind == .chat ? ["csv", "json", "txt"] : ["json", "txt"] }

    /// The file name of one 100ms asset in the recording's folder, `summary-<tag>.json`: the tag
    /// is a hash of 100ms' asset id and size, so a file 100ms regenerates goes to a new key and
    /// the copy already stored stays whole until the new one is stored and listed. Nothing 100ms
    /// sends reaches the key as text.
    static package func fileName(_ kind: AssetKind, asset: HMSAsset) -> String {
        let tag = RandomToken.sha256Hex("\(asset.id)\n\(asset.size.map(String.init) ?? "")").prefix(12)
        return "\(kind.rawValue)-\(tag).\(fileExtension(kind, path: asset.path))"
    }

    /// The names earlier releases copied to (one per kind, no tag): replaced by the next copy.
    static func untaggedNames(_ kind: AssetKind) -> [String] { extensions(of: kind).map { "\(kind.rawValue).\($0)" } }

    /// Every key in the folder a run could have written for these 100ms assets, in any state.
    static func keysWritable(for assets: [HMSAsset], prefix: String) -> Set<String> {
        var keys = Set([AssetKind.chat, .summary].flatMap { untaggedNames($0) }.map { prefix + $0 })
        for asset in assets {
            if let kind = assetKind(ofType: asset.type) { keys.insert(prefix + fileName(kind, asset: asset)) }
        }
        return keys
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        guard recording.status == .ready else {
            guard recording.status.isFinal else {
                throw JobOutcome.postpone(reason: "the recording is not copied in yet", seconds: 30)
            }
            // Deleted meanwhile: a copy stored before a crash (its row never written) must not
            // stay in the folder. The keys are known from 100ms' assets; a failed delete is retried.
            guard let hmsID = recording.providerRecordingID else { return }
            try await removeUnlisted(Self.keysWritable(for: try await assets(of: hmsID), prefix: recording.keyPrefix), of: recording, logger: logger)
            return
        }
        guard let hmsID = recording.providerRecordingID else { return }
        let assets = try await assets(of: hmsID)
        let writable = Self.keysWritable(for: assets, prefix: recording.keyPrefix)
        var failures: [String] = []
        for (kind, asset) in Self.sideFiles(in: assets) {
            do {
                try await copy(asset, as: kind, into: recording, knownKeys: writable, logger: logger)
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
        // Copies of older versions (and a copy a crash left unlisted) go; what is listed stays.
        try await removeUnlisted(writable, of: recording, logger: logger)
        if !failures.isEmpty { throw HMSError(status: 0, message: failures.joined(separator: "; ")) }
    }

    /// 100ms' assets of the recording: those its answer carries, and (a session can hold several
    /// recordings) the session's listed ones of this recording.
    private func assets(of hmsID: String) async throws -> [HMSAsset] {
        let hms = try await recorder.api.recording(id: hmsID)
        var assets = hms.assets ?? []
        if Self.sideFiles(in: assets).count < 2 {
            let listed = try await recorder.api.assets(roomID: hms.roomID, sessionID: hms.sessionID).filter { $0.jobID == hms.id }
            assets += listed.filter { asset in !assets.contains { $0.id == asset.id } }
        }
        return assets
    }

    private enum Listing: Sendable {
        case listed(replaced: [String])
        /// A newer file (one this run's answer from 100ms did not know) is listed already.
        case newerListed
        case recordingGone
    }

    private func copy(_ asset: HMSAsset, as kind: AssetKind, into recording: Recording, knownKeys: Set<String>, logger: Logger) async throws {
        let key = try ObjectKey(recording.keyPrefix + Self.fileName(kind, asset: asset))
        if let stored = recording.assets.first(where: { $0.key == key.rawValue && $0.kind == kind }),
            let size = stored.sizeBytes, try await store.head(key)?.size == size
        {
            return
        }
        // A key of its own: the listed copy is untouched while this one streams in.
        let size = try await HMSDownload(api: recorder.api, store: store, http: http).copy(asset, to: key, timeout: Self.downloadTimeout)
        let store = store
        let listing = try await recorder.catalog.transaction { tx -> Listing in
            // Holds the row until the commit: a deletion waits for this asset to be listed (and its
            // purge to find it), or came first and is seen here; a cleanup (``removeUnlisted``)
            // runs either wholly before or wholly after.
            guard try await tx.recordings.statusHoldingRow(recording.id) == .ready else { return .recordingGone }
            if let current = try await tx.assets.list(recordingID: recording.id).first(where: { $0.kind == kind }),
                current.key != key.rawValue, !knownKeys.contains(current.key)
            {
                return .newerListed
            }
            // A cleanup that ran since the put removed it: copied again on the retry.
            guard try await store.head(key)?.size == size else {
                throw HMSError(status: 0, message: "the copy was removed before it was listed")
            }
            try await tx.assets.upsert(
                NewAsset(recordingID: recording.id, kind: kind, key: key.rawValue, contentType: ContentTypes.forKey(key.rawValue), sizeBytes: size))
            return .listed(replaced: try await tx.assets.deleteOthers(recordingID: recording.id, kind: kind, keeping: key.rawValue))
        }
        switch listing {
        case .recordingGone, .newerListed:
            // Deleted (or replaced) while the file was copied: this copy may not stay.
            try await removeUnlisted([key.rawValue], of: recording, logger: logger)
        case .listed(let replaced):
            try await removeUnlisted(Set(replaced), of: recording, logger: logger)
            logger.info("copied a 100ms \(kind.rawValue)", metadata: ["recording": "\(recording.id)", "bytes": "\(size)"])
        }
    }

    /// Deletes those of `keys` that exist and no asset of the recording lists, with the
    /// recording's row held so no copy is listed meanwhile (a copy listed later finds its object
    /// gone and is retried). A failed delete throws: the queue retries.
    ///
    /// Of a deleted recording the purge runs again with them all, listed or not: it may have
    /// emptied the folder already, and a copy that landed after that (a second job copying the
    /// same file) is still listed until the purge drops the rows, after which nothing would
    /// delete it. (The purge keeps what another recording of a shared folder names.)
    private func removeUnlisted(_ keys: Set<String>, of recording: Recording, logger: Logger) async throws {
        var present: [ObjectKey] = []
        for key in keys.sorted() {
            let objectKey = try ObjectKey(key)
            if try await store.head(objectKey) != nil { present.append(objectKey) }
        }
        guard !present.isEmpty else { return }
        let store = store, candidates = present
        let deleted = try await recorder.catalog.transaction { tx -> Bool in
            guard try await tx.recordings.statusHoldingRow(recording.id).map({ $0 != .deleted }) ?? false else { return true }
            let listed = Set(try await tx.assets.list(recordingID: recording.id).map(\.key))
            for key in candidates where !listed.contains(key.rawValue) { try await store.delete(key) }
            return false
        }
        if deleted {
            try await PurgeRecordingObjectsJob(catalog: recorder.catalog, store: store).purge(
                recording.id, under: recording.keyPrefix, unlisted: candidates.map(\.rawValue), logger: logger)
        }
    }
}
