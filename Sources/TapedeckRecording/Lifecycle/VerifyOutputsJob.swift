import Foundation
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// Checks that the outputs a recorder reported are in storage; the recording is `ready` as soon
/// as one playable output is there, and fails if none appears.
package struct VerifyOutputsJob: RecordingJob {
    static package let kind = "recording.verify_outputs"
    package let catalog: Catalog
    package let store: any ObjectStore

    static package let maxAttempts = 8

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: catalog)
        let id = recording.id
        guard recording.status == .processing else { return }
        var verified: [Asset] = []
        var sized: [NewAsset] = []
        var missing: [String] = []
        for asset in recording.assets where [.hls, .mp4, .audio].contains(asset.kind) {
            if let info = try await store.head(try ObjectKey(asset.key)), info.size > 0 {
                verified.append(asset)
                if asset.sizeBytes == nil || asset.sizeBytes == 0 {
                    var updated = NewAsset(
                        recordingID: id, kind: asset.kind, key: asset.key, contentType: asset.contentType,
                        sizeBytes: info.size, durationMs: asset.durationMs)
                    updated.sha256 = asset.sha256
                    sized.append(updated)
                }
            } else {
                missing.append(asset.key)
            }
        }
        guard !verified.isEmpty else {
            if job.attempts >= Self.maxAttempts {
                let missing = missing
                _ = try await catalog.transaction { tx in
                    try await tx.recordings.transition(
                        id, to: .failed, actor: "system", cause: "outputs missing",
                        changes: RecordingChanges(error: "the recorder's outputs never appeared in storage: \(missing.joined(separator: ", "))"))
                }
                throw JobOutcome.permanentFailure("outputs missing: \(missing.joined(separator: ", "))")
            }
            throw ObjectStoreError.notFound(missing.joined(separator: ", "))
        }
        let sizes = sized
        _ = try await catalog.transaction { tx in
            // Failed and deleted meanwhile: its purge dropped the rows, which must not come back.
            guard try await tx.recordings.statusHoldingRow(id) == .processing else { return }
            for asset in sizes { try await tx.assets.upsert(asset) }
            try await RecordingLifecycle.markReady(tx, id, actor: "system", cause: "outputs verified in storage")
        }
    }
}
