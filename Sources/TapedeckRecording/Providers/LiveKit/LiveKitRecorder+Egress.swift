import Foundation
import LiveKit
import ObjectStorage
import TapedeckCore
import TapedeckStore

package extension LiveKitRecorder {
    /// Brings a recording to what LiveKit reports about its egress. Idempotent and monotonic:
    /// reports may come late, twice or out of order (webhooks, the reconciler, start and stop
    /// answers all report). Returns `false` for an egress Tapedeck did not start.
    @discardableResult
    package func applyEgress(_ tx: CatalogSession, _ info: EgressInfo, actor: String) async throws -> Bool {
        guard let recording = try await recording(for: info, tx) else {
            logger.debug("egress not started by Tapedeck", metadata: ["egress": "\(info.egressID)"])
            return false
        }
        let (target, changes) = Self.transition(for: info)
        let outcome = try await tx.recordings.transition(
            recording.id, to: target, actor: actor, cause: "egress \(info.status.name.lowercased())", changes: changes)
        if case .applied(_, .processing) = outcome {
            try await recordOutputs(tx, recording: recording, info: info)
        }
        return true
    }

    /// The recording an egress belongs to: by its id, or (when the report beats the start
    /// answer) the room's starting recording that has no egress yet.
    package func recording(for info: EgressInfo, _ tx: CatalogSession) async throws -> Recording? {
        if let known = try await tx.recordings.find(provider: Self.provider, providerRecordingID: info.egressID) {
            return known
        }
        guard let roomName = info.roomName, let room = try await tx.rooms.find(name: roomName, provider: Self.provider),
            let active = try await tx.recordings.active(roomID: room.id), active.provider == Self.provider,
            active.providerRecordingID == nil
        else { return nil }
        // Only an egress writing into this recording's own folder is ours: one the customer
        // started (track, participant, web) or an earlier recording's never is.
        guard writes(info, into: active) else { return nil }
        guard try await tx.recordings.setProviderRecordingID(active.id, info.egressID) else { return nil }
        return try await tx.recordings.find(id: active.id)
    }

    /// Whether an egress writes into a recording's own folder, by the paths of its request or of
    /// its results.
    package func writes(_ info: EgressInfo, into recording: Recording) -> Bool {
        // Tapedeck starts room-composite egresses only; the results of any other never count.
        guard !info.runsOtherRequest else { return false }
        let expected = destination.path(recording.keyPrefix)
        let paths = (info.roomCompositePaths ?? []) + info.fileResults.map(\.filename)
            + info.segmentResults.map(\.playlistName)
        return paths.contains { $0.hasPrefix(expected) }
    }

    /// The recording status an egress status means, with what the report tells.
    static package func transition(for info: EgressInfo) -> (RecordingStatus, RecordingChanges) {
        var changes = RecordingChanges(providerRecordingID: info.egressID)
        changes.startedAt = info.startedAtNs.map { Date(timeIntervalSince1970: Double($0) / 1e9) }
        switch info.status {
        case .starting:
            return (.starting, changes)
        case .active:
            return (.recording, changes)
        case .ending:
            return (.stopping, changes)
        case .complete, .limitReached:
            changes.endedAt = info.endedAtNs.map { Date(timeIntervalSince1970: Double($0) / 1e9) }
            let durations =
                info.fileResults.map { EgressInfo.durationMs(reportedNs: $0.durationNs, startedAtNs: $0.startedAtNs, endedAtNs: $0.endedAtNs) }
                + info.segmentResults.map {
                    EgressInfo.durationMs(reportedNs: $0.durationNs, startedAtNs: $0.startedAtNs, endedAtNs: $0.endedAtNs)
                }
            changes.durationMs = durations.compactMap { $0 }.max()
                ?? EgressInfo.durationMs(reportedNs: nil, startedAtNs: info.startedAtNs, endedAtNs: info.endedAtNs)
            let sizes = info.fileResults.compactMap(\.size) + info.segmentResults.compactMap(\.size)
            changes.sizeBytes = sizes.isEmpty ? nil : sizes.reduce(0, +)
            // The files' own start, not the egress's: cues posted by wall clock are placed by it.
            let mediaStarts = info.fileResults.compactMap(\.startedAtNs) + info.segmentResults.compactMap(\.startedAtNs)
            changes.mediaStartedAt = mediaStarts.filter { $0 > 0 }.min().map { Date(millisecondsSince1970: $0 / 1_000_000) }
            // LIMIT_REACHED: the output is finalised and usable, only truncated.
            changes.limitReached = info.status == .limitReached
            return (.processing, changes)
        case .failed:
            changes.endedAt = info.endedAtNs.map { Date(timeIntervalSince1970: Double($0) / 1e9) }
            var error = info.error ?? "the recorder failed"
            if info.backupStorageUsed { error += " (egress kept the output in its backup storage)" }
            changes.error = error
            return (.failed, changes)
        case .aborted:
            changes.endedAt = info.endedAtNs.map { Date(timeIntervalSince1970: Double($0) / 1e9) }
            changes.error = info.error ?? "the recorder stopped before recording anything"
            return (.aborted, changes)
        }
    }

    /// Records the outputs an ended egress reports and queues their verification (or, when
    /// egress wrote local files, their ingest).
    package func recordOutputs(_ tx: CatalogSession, recording: Recording, info: EgressInfo) async throws {
        var playable: [IngestItem] = []
        for file in info.fileResults {
            guard let key = destination.key(forReportedPath: file.filename), key.hasPrefix(recording.keyPrefix) else { continue }
            let ext = (key as NSString).pathExtension.lowercased()
            let kind: AssetKind = ["ogg", "mp3", "m4a"].contains(ext) || recording.audioOnly ? .audio : .mp4
            try await tx.assets.upsert(
                NewAsset(
                    recordingID: recording.id, kind: kind, key: key, contentType: ContentTypes.forKey(key), sizeBytes: file.size,
                    durationMs: EgressInfo.durationMs(reportedNs: file.durationNs, startedAtNs: file.startedAtNs, endedAtNs: file.endedAtNs)))
            playable.append(IngestItem(sourcePath: destination.localFile(key) ?? "", key: key, asset: kind))
        }
        for segments in info.segmentResults {
            guard let key = destination.key(forReportedPath: segments.playlistName), key.hasPrefix(recording.keyPrefix)
            else { continue }
            try await tx.assets.upsert(
                NewAsset(
                    // An asset's size is that of its object (the playlist): verification fills it in.
                    // The segments' total counts in the recording's size.
                    recordingID: recording.id, kind: .hls, key: key, contentType: ContentTypes.forKey(key), sizeBytes: nil,
                    durationMs: EgressInfo.durationMs(
                        reportedNs: segments.durationNs, startedAtNs: segments.startedAtNs, endedAtNs: segments.endedAtNs)))
            playable.append(IngestItem(sourcePath: destination.localFile(key) ?? "", key: key, asset: .hls))
        }
        if playable.isEmpty {
            _ = try await tx.recordings.transition(
                recording.id, to: .failed, actor: Self.provider, cause: "no outputs",
                changes: RecordingChanges(error: "the recorder ended without reporting any output"))
            return
        }
        if case .directory = destination {
            // Egress wrote local files: segments (named by the playlist) first, then playlists and MP4.
            try await tx.jobs.enqueue(
                try IngestFilesJob.newJob(
                    .init(recordingID: recording.id, items: localSegments(of: playable) + playable, deleteSources: true)))
        } else {
            try await tx.jobs.enqueue(try VerifyOutputsJob.newJob(recordingID: recording.id))
        }
    }

    /// The segment files beside each local playlist, in name order.
    package func localSegments(of items: [IngestItem]) -> [IngestItem] {
        items.filter { $0.asset == .hls }.flatMap { playlist -> [IngestItem] in
            let folder = (playlist.sourcePath as NSString).deletingLastPathComponent
            let keyFolder = (playlist.key as NSString).deletingLastPathComponent
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
                .filter { $0.hasPrefix(EgressRequestBuilder.segmentPrefix) }.sorted()
            return names.map { IngestItem(sourcePath: folder + "/" + $0, key: keyFolder + "/" + $0) }
        }
    }
}
