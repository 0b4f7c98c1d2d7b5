import Foundation
import Logging
import Media
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// After a recording is ready: fill in its duration when the provider did not, make a thumbnail
/// (a JPEG 640 px wide from about 10% in) and a storyboard for hover previews (a sprite sheet and
/// its WebVTT index), and make the missing one of HLS and MP4 by remuxing the other, every output
/// stored and recorded as an asset.
///
/// Each step first looks at the assets: running the job twice (or again after a crash) redoes
/// only what is missing, writes the same keys, and creates no second asset.
///
/// A recording deleted while its outputs are made keeps none of them: each output is listed in a
/// transaction that holds the recording's row and finds it still ready (so a deletion either
/// comes after, and its purge finds the asset, or came first and is seen), otherwise what this
/// step stored is deleted again and the job ends. The purge may have emptied the folder before
/// those files landed; nothing else would ever delete them.
package struct PostProcessJob: RecordingJob {
    static package let kind = "media.post_process"
    static package let maxAttempts = 5
    package let catalog: Catalog
    package let store: any ObjectStore
    /// Set when storage is local: ffmpeg then reads the files directly.
    package let localDisk: LocalDiskStore?
    package let tools: Result<MediaTools, MediaToolError>
    package let logger: Logger

    static package let thumbnailName = "thumbnail.jpg"
    static package let storyboardSprite = "storyboard.jpg"
    static package let storyboardIndex = "storyboard.vtt"

    /// The recording was deleted while this run made its outputs (what it stored is gone again).
    package struct DeletedMeanwhile: Error {}

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: catalog)
        if recording.status == .deleted {
            // Deleted before this run (or a run killed, or failed, between storing an output and
            // listing it): what any run may have stored goes, as no purge will see it.
            try await removeOutputs(of: recording, stored: try await outputKeys(of: recording))
            return
        }
        do {
            try await process(recording, logger: logger)
        } catch is DeletedMeanwhile {
            logger.info("recording deleted while post-processed; its outputs deleted", metadata: ["recording": "\(recording.id)"])
        }
    }

    private func process(_ recording: Recording, logger: Logger) async throws {
        let id = recording.id
        guard recording.status == .ready else { return }
        let tools: MediaTools
        switch self.tools {
        case .success(let found): tools = found
        case .failure(let missing):
            // Visible through the API (the recording's events); the job waits without using attempts.
            try await catalog.pool.events.append(
                NewAuditEvent(recordingID: id, type: "recording.processing_waiting", actor: "system", data: ["reason": missing.description]))
            throw JobOutcome.postpone(reason: missing.description, seconds: 600)
        }
        // On local storage, outputs are made on the store's own disk and moved into it, not copied.
        let scratch = try localDisk?.makeWorkDirectory() ?? Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        let mp4 = recording.assets.first { $0.kind == .mp4 }
        let hls = recording.assets.first { $0.kind == .hls }
        guard let source = mp4 ?? hls else { return }  // audio-only or nothing playable: nothing to do
        let input = try await inputPath(source, recording: recording, scratch: scratch)
        var made: [String] = []

        let info = try await tools.probe(input)
        if recording.durationMs == nil, let duration = info.durationMs {
            try await catalog.pool.recordings.setDuration(id, durationMs: duration)
        }
        guard let video = info.video else { return }
        // The storyboard is drawn while the thumbnail and the remux run (it decodes keyframes on one
        // thread, they mostly copy), and stored last: of the outputs, it matters least for watching.
        let layout =
            recording.assets.contains { $0.kind == .storyboard }
            ? nil
            : StoryboardLayout(
                durationMs: info.durationMs ?? recording.durationMs ?? 0, videoWidth: video.width ?? 0,
                videoHeight: video.height ?? 0)
        async let sheet = drawStoryboard(input, layout: layout, tools: tools, scratch: scratch)

        if !recording.assets.contains(where: { $0.kind == .thumbnail }) {
            let file = scratch + "/" + Self.thumbnailName
            let seconds = Double(info.durationMs ?? recording.durationMs ?? 0) / 1000 * 0.1
            try await tools.thumbnail(input, atSeconds: seconds, output: file)
            try await store(file, key: recording.keyPrefix + Self.thumbnailName, kind: .thumbnail, of: recording)
            made.append("thumbnail")
        }
        if mp4 != nil, hls == nil {
            let folder = scratch + "/hls"
            try await tools.hls(from: input, segmentSeconds: 6, directory: folder)
            let segments = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".ts") }.sorted()
            // Measured before the segments move into the store.
            let hlsStart = segments.isEmpty ? nil : try? await tools.probe(folder + "/" + segments[0]).startTimeMs
            let segmentKeys = try segments.map { try ObjectKey(recording.keyPrefix + $0) }
            _ = try await store.moveFiles(
                zip(segmentKeys, segments).map { FileToStore(key: $0, path: folder + "/" + $1, contentType: "video/mp2t") })
            // The playlist last: once it is there, every segment it names is too.
            try await store(folder + "/index.m3u8", key: recording.keyPrefix + "index.m3u8", kind: .hls, of: recording,
                            durationMs: info.durationMs, after: segmentKeys)
            made.append("hls")
            if let hlsStart { try await catalog.pool.recordings.setHLSStart(id, hlsStart) }
        } else if let hls, recording.hlsStartMs == nil {
            // The recorder's own segments: where they start is measured, not assumed.
            let probed = source.key == hls.key ? info : try? await tools.probe(try await inputPath(hls, recording: recording, scratch: scratch))
            if let start = probed?.startTimeMs { try await catalog.pool.recordings.setHLSStart(id, start) }
        }
        if hls != nil, mp4 == nil {
            let file = scratch + "/session.mp4"
            try await tools.mp4(from: input, output: file)
            try await store(file, key: recording.keyPrefix + "session.mp4", kind: .mp4, of: recording, durationMs: info.durationMs)
            made.append("mp4")
        }
        if let layout, let sprite = try await sheet {
            try await storeStoryboard(sprite, layout: layout, recording: recording)
            made.append("storyboard")
        }
        if !made.isEmpty {
            try await catalog.pool.events.append(
                NewAuditEvent(recordingID: id, type: "recording.processed", actor: "system", data: ["made": made.joined(separator: ",")]))
        }
        logger.info("post-processed", metadata: ["recording": "\(id)", "made": "\(made)"])
    }

    /// The sprite sheet, checked against its layout; `nil` when there is no storyboard to draw.
    package func drawStoryboard(_ input: String, layout: StoryboardLayout?, tools: MediaTools, scratch: String) async throws -> String? {
        guard let layout else { return nil }
        let sprite = scratch + "/" + Self.storyboardSprite
        try await tools.storyboard(input, layout: layout, output: sprite)
        let drawn = try await tools.probe(sprite).video
        guard drawn?.width == layout.sheetWidth, drawn?.height == layout.sheetHeight else {
            throw JobOutcome.permanentFailure(
                "storyboard sheet is \(drawn?.width ?? 0)x\(drawn?.height ?? 0), expected \(layout.sheetWidth)x\(layout.sheetHeight)")
        }
        return sprite
    }

    /// The sheet, then its index: the index is the asset, and once it exists the sheet it names does too.
    package func storeStoryboard(_ sprite: String, layout: StoryboardLayout, recording: Recording) async throws {
        let spriteKey = try ObjectKey(recording.keyPrefix + Self.storyboardSprite)
        _ = try await store.moveFiles([FileToStore(key: spriteKey, path: sprite, contentType: "image/jpeg")])
        let index = (sprite as NSString).deletingLastPathComponent + "/" + Self.storyboardIndex
        try layout.webVTT(spriteName: Self.storyboardSprite).write(toFile: index, atomically: true, encoding: .utf8)
        try await store(index, key: recording.keyPrefix + Self.storyboardIndex, kind: .storyboard, of: recording, after: [spriteKey])
    }

    /// Stores a finished file (moved on local storage), checks the stored size, and records the
    /// asset (an upsert on its key) if the recording is still ready. If it is not, the file and
    /// the objects stored for it before (`after`: segments, a sprite sheet) are deleted and
    /// ``DeletedMeanwhile`` is thrown.
    package func store(
        _ file: String, key: String, kind: AssetKind, of recording: Recording, durationMs: Int64? = nil, after earlier: [ObjectKey] = []
    ) async throws {
        let objectKey = try ObjectKey(key)
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.int64Value
        let stored = try await store.moveFiles([FileToStore(key: objectKey, path: file, contentType: ContentTypes.forKey(key))])[0]
        guard stored.size == size else {
            throw ObjectStoreError.notFound("\(key) stored with \(stored.size) bytes instead of \(size ?? -1)")
        }
        let listed = try await catalog.transaction { tx -> Bool in
            guard try await tx.recordings.statusHoldingRow(recording.id) == .ready else { return false }
            try await tx.assets.upsert(
                NewAsset(recordingID: recording.id, kind: kind, key: key, contentType: ContentTypes.forKey(key), sizeBytes: stored.size,
                         durationMs: durationMs))
            return true
        }
        guard listed else {
            try await removeOutputs(of: recording, stored: (earlier + [objectKey]).map(\.rawValue))
            throw DeletedMeanwhile()
        }
    }

    /// Deletes what runs of this job may have stored for a recording deleted meanwhile, with the
    /// purge's rule for its folder (whole when it is the recording's own; otherwise only what no
    /// other recording names).
    private func removeOutputs(of recording: Recording, stored: [String]) async throws {
        try await PurgeRecordingObjectsJob(catalog: catalog, store: store).purge(recording.id, under: recording.keyPrefix, unlisted: stored, logger: logger)
    }

    /// Every key in the recording's folder a run may have written: the fixed names and the
    /// segments directly inside it.
    private func outputKeys(of recording: Recording) async throws -> [String] {
        let prefix = recording.keyPrefix
        var keys = [Self.thumbnailName, "index.m3u8", "session.mp4", Self.storyboardSprite, Self.storyboardIndex].map { prefix + $0 }
        var after: String?
        repeat {
            let page = try await store.list(prefix: prefix, startAfter: after, limit: 1000)
            keys += page.objects.map(\.key).filter { key in
                let name = key.dropFirst(prefix.count)
                return name.hasSuffix(".ts") && !name.contains("/")
            }
            after = page.nextStartAfter
        } while after != nil
        return keys
    }

    static package func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapedeck-process-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// What ffmpeg reads: the file itself on local storage, otherwise a signed URL; for HLS a copy
    /// of the playlist in which each segment inside the recording's folder is its local path or
    /// signed URL and anything else names nothing, so a hostile stored playlist cannot make ffmpeg
    /// read another recording's objects or a file of the host.
    package func inputPath(_ asset: Asset, recording: Recording, scratch: String) async throws -> String {
        let key = try ObjectKey(asset.key)
        guard asset.kind == .hls else {
            if let localDisk { return localDisk.filePath(key) }
            return try await store.signedURL(key, expiresIn: 7200, overrides: .init())
        }
        let text = String(buffer: try await store.get(key).body.collect(upTo: 8 << 20))
        let playlist = try HLSPlaylist.parse(text)
        let keys = PlaylistSigning.objectKeys(of: playlist, playlistKey: asset.key, within: recording.keyPrefix)
        let locations: [String]
        if let localDisk {
            // Absolute: ffmpeg resolves a relative path against the copy's folder (scratch), not
            // the working directory a relative data dir (`./tapedeck-data`) is relative to.
            let cwd = FileManager.default.currentDirectoryPath
            locations = try keys.map { key in
                let path = localDisk.filePath(try ObjectKey(key))
                return path.hasPrefix("/") ? path : cwd + "/" + path
            }
        } else {
            locations = try await store.signedURLs(try keys.map(ObjectKey.init), expiresIn: 7200)
        }
        let path = scratch + "/source.m3u8"
        try PlaylistSigning.confined(playlist, playlistKey: asset.key, signedURLs: Dictionary(uniqueKeysWithValues: zip(keys, locations)))
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
