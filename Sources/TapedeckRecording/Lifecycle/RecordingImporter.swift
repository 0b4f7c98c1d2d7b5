import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// Brings an existing recording (an MP4 or other media file, an HLS folder or playlist, on disk or
/// at a URL) into the catalog and the configured store, with the same streaming upload and
/// verified ingest as recordings made by Tapedeck.
///
/// HLS segments are stored as `segment_00001.ts` ... beside `index.m3u8`, and the stored playlist
/// is rewritten to name them, so a playlist with absolute or query-string URIs still plays from
/// the store.
public struct RecordingImporter: Sendable {
    /// Stored on the rooms, sessions and recordings imports make.
    static package let provider = "import"
    package let catalog: Catalog
    package let store: any ObjectStore
    package let http: HTTPClient
    package let logger: Logger

    public init(catalog: Catalog, store: any ObjectStore, http: HTTPClient, logger: Logger) {
        self.catalog = catalog
        self.store = store
        self.http = http
        self.logger = logger
    }

    public struct Options: Sendable {
        public var room: String
        public var title: String?
        public var recordedAt: Date?
        /// The most a remote import may download, all files together.
        public var maxBytes: Int64

        public static let defaultMaxBytes: Int64 = 100 << 30

        public init(room: String, title: String? = nil, recordedAt: Date? = nil, maxBytes: Int64 = Options.defaultMaxBytes) {
            self.room = room
            self.title = title
            self.recordedAt = recordedAt
            self.maxBytes = maxBytes
        }
    }

    /// What is being imported.
    public enum Source: Sendable, Equatable {
        case file(String)
        /// A local playlist (a folder's `.m3u8`).
        case localPlaylist(String)
        case remoteFile(URL)
        case remotePlaylist(URL)

        public var description: String {
            switch self {
            case .file(let path), .localPlaylist(let path): path
            case .remoteFile(let url), .remotePlaylist(let url): url.absoluteString
            }
        }
    }

    /// Progress as the import goes: bytes stored of the expected total (0 when unknown).
    public struct Progress: Sendable {
        public var bytes: Int64
        public var total: Int64
        public var file: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Works out what `argument` names: a file, a folder holding one playlist, a playlist, or a URL.
    public static func resolve(_ argument: String) throws -> Source {
        if argument.hasPrefix("http://") || argument.hasPrefix("https://") {
            guard let url = URL(string: argument), url.host != nil else { throw Failure(description: "\(argument) is not a valid URL") }
            return url.path.lowercased().hasSuffix(".m3u8") ? .remotePlaylist(url) : .remoteFile(url)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
            throw Failure(description: "\(argument) does not exist")
        }
        if isDirectory.boolValue {
            let playlists = (try FileManager.default.contentsOfDirectory(atPath: argument))
                .filter { $0.lowercased().hasSuffix(".m3u8") }.sorted()
            // Prefer the conventional names over live or variant playlists.
            guard let chosen = playlists.first(where: { ["index.m3u8", "playlist.m3u8", "master.m3u8"].contains($0) })
                ?? (playlists.count == 1 ? playlists.first : nil)
            else {
                throw Failure(description: "\(argument) holds \(playlists.count) playlists; name the one to import")
            }
            return .localPlaylist((argument as NSString).appendingPathComponent(chosen))
        }
        return argument.lowercased().hasSuffix(".m3u8") ? .localPlaylist(argument) : .file(argument)
    }

    /// Imports `source`; the recording ends `ready`, or `failed` with the reason (its partial
    /// objects removed).
    public func run(
        _ source: Source, options: Options, progress: @escaping @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Recording {
        let recording = try await createRecording(source, options: options)
        let budget = ImportBudget(maxBytes: options.maxBytes)
        do {
            switch source {
            case .file(let path):
                try await importFile(path, recording: recording, progress: progress)
            case .remoteFile(let url):
                try await importRemoteFile(url, recording: recording, budget: budget, progress: progress)
            case .localPlaylist(let path):
                let text = try String(contentsOfFile: path, encoding: .utf8)
                try await importPlaylist(
                    text, base: URL(fileURLWithPath: path).deletingLastPathComponent(), recording: recording, budget: budget,
                    progress: progress)
            case .remotePlaylist(let url):
                var playlistURL = url
                var text = try await fetchText(url, budget: budget)
                // A master playlist: import its highest-bandwidth variant.
                if let playlist = try? HLSPlaylist.parse(text), playlist.isMaster, let best = playlist.variants.first,
                    let variant = URL(string: best.uri, relativeTo: url)?.absoluteURL
                {
                    playlistURL = variant
                    text = try await fetchText(variant, budget: budget)
                }
                try await importPlaylist(
                    text, base: playlistURL.deletingLastPathComponent(), recording: recording, budget: budget, progress: progress)
            }
        } catch {
            let reason = "import failed: \(error)"
            _ = try? await store.deletePrefix(recording.keyPrefix)
            _ = try? await catalog.transaction { tx in
                try await tx.recordings.transition(recording.id, to: .failed, actor: "cli", cause: "import", changes: .init(error: reason))
            }
            throw error
        }
        return try await catalog.pool.recordings.find(id: recording.id)!
    }

    private func createRecording(_ source: Source, options: Options) async throws -> Recording {
        let provider = Self.provider
        let startedAt = options.recordedAt ?? catalog.clock.now()
        return try await catalog.transaction { tx in
            let room = try await tx.rooms.findOrCreate(name: options.room, provider: provider)
            let session = try await tx.sessions.create(
                roomID: room.id, roomName: room.name, providerSessionID: nil, startedAt: startedAt)
            // An imported session is over before it is written: closed now, so that a live session
            // of the same room never takes it (and its recording) over.
            try await tx.sessions.close(session.id, at: startedAt)
            let id = UUID()
            let recording = try await tx.recordings.insert(
                NewRecording(
                    id: id, roomID: room.id, sessionID: session.id, provider: provider, title: options.title,
                    providerRecordingID: nil, status: .processing, requestedBy: "cli", startedAt: startedAt,
                    storage: store.backend,
                    keyPrefix: StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id)))
            try await tx.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: session.id, type: "recording.import_started", actor: "cli",
                    data: ["source": source.description]))
            return recording
        }
    }

    private func assetKind(forExtension ext: String) -> AssetKind {
        ["m4a", "mp3", "ogg", "aac", "wav", "opus"].contains(ext) ? .audio : .mp4
    }

    private func importFile(
        _ path: String, recording: Recording, progress: @escaping @Sendable (Progress) -> Void
    ) async throws {
        let name = StorageNaming.keySegment((path as NSString).lastPathComponent)
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
        let ingestor = Ingestor(catalog: catalog, store: store, logger: logger)
        let item = IngestItem(
            sourcePath: path, key: recording.keyPrefix + name, asset: assetKind(forExtension: (name as NSString).pathExtension.lowercased()))
        let stored = try await ingestor.ingest(item, recordingID: recording.id, deleteSource: false) { bytes in
            progress(Progress(bytes: bytes, total: size, file: name))
        }
        try await markReady(recording, sizeBytes: stored, durationMs: nil)
    }

    private func importRemoteFile(
        _ url: URL, recording: Recording, budget: ImportBudget, progress: @escaping @Sendable (Progress) -> Void
    ) async throws {
        let name = StorageNaming.keySegment(url.lastPathComponent.isEmpty ? "recording.mp4" : url.lastPathComponent)
        let key = try ObjectKey(recording.keyPrefix + name)
        let size = try await download(url, to: key, budget: budget, progress: progress)
        try await catalog.pool.assets.upsert(
            NewAsset(recordingID: recording.id, kind: assetKind(forExtension: (name as NSString).pathExtension.lowercased()),
                     key: key.rawValue, contentType: ContentTypes.forKey(name), sizeBytes: size))
        try await markReady(recording, sizeBytes: size, durationMs: nil)
    }

    /// Stores every segment (and init segment) of a playlist under a plain name, then the playlist
    /// rewritten to those names. Segments first: the playlist never names a missing file.
    private func importPlaylist(
        _ text: String, base: URL, recording: Recording, budget: ImportBudget,
        progress: @escaping @Sendable (Progress) -> Void
    ) async throws {
        let playlist: HLSPlaylist
        do {
            playlist = try HLSPlaylist.parse(text)
        } catch {
            throw Failure(description: "not an HLS playlist (it must start with #EXTM3U)")
        }
        guard !playlist.isMaster else { throw Failure(description: "a master playlist; import one of its variants") }
        var names: [String: String] = [:]
        var ordered: [(uri: String, name: String)] = []
        for uri in playlist.uris where names[uri] == nil {
            let path = uri.split(separator: "?").first.map(String.init) ?? uri
            var ext = (path as NSString).pathExtension.lowercased()
            if ext.isEmpty || ext.count > 5 { ext = "ts" }
            let name = String(format: "segment_%05d.%@", ordered.count + 1, ext)
            names[uri] = name
            ordered.append((uri, name))
        }
        let local = base.isFileURL
        var total: Int64 = 0
        if local {
            for (uri, _) in ordered {
                let path = base.appendingPathComponent(uri).path
                guard !uri.contains("://"), !uri.split(separator: "/").contains("..") else {
                    throw Failure(description: "segment \(uri) is outside the playlist's folder")
                }
                total += (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? 0
            }
        }
        let done = ByteTotal()
        let expectedTotal = total
        let ingestor = Ingestor(catalog: catalog, store: store, logger: logger)
        for (uri, name) in ordered {
            let key = recording.keyPrefix + name
            let before = done.value
            if local {
                let item = IngestItem(sourcePath: base.appendingPathComponent(uri).path, key: key)
                let stored = try await ingestor.ingest(item, recordingID: recording.id, deleteSource: false) { bytes in
                    progress(Progress(bytes: before + bytes, total: expectedTotal, file: name))
                }
                done.add(stored)
            } else {
                guard let url = URL(string: uri, relativeTo: base)?.absoluteURL else {
                    throw Failure(description: "segment URI \(uri) is not valid")
                }
                let stored = try await download(url, to: try ObjectKey(key), budget: budget) { p in
                    progress(Progress(bytes: before + p.bytes, total: 0, file: name))
                }
                done.add(stored)
            }
        }
        let rewritten = playlist.rewritingURIs { names[$0] ?? $0 } + "\n"
        let playlistKey = try ObjectKey(recording.keyPrefix + "index.m3u8")
        let info = try await store.put(playlistKey, body: [ByteBuffer(string: rewritten)].async, contentType: nil)
        guard let stored = try await store.head(playlistKey), stored.size == Int64(rewritten.utf8.count) else {
            throw Failure(description: "the stored playlist failed verification")
        }
        try await catalog.pool.assets.upsert(
            NewAsset(
                recordingID: recording.id, kind: .hls, key: playlistKey.rawValue, contentType: ContentTypes.forKey("index.m3u8"),
                sizeBytes: info.size, durationMs: playlist.durationMs))
        try await markReady(recording, sizeBytes: done.value + info.size, durationMs: playlist.durationMs)
    }

    /// Streams a URL into the store; returns the bytes stored (verified against Content-Length when given).
    private func download(
        _ url: URL, to key: ObjectKey, budget: ImportBudget, progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> Int64 {
        let response = try await http.execute(HTTPClientRequest(url: try ImportBudget.checked(url).absoluteString), timeout: .hours(6))
        guard response.status == .ok else {
            throw Failure(description: "\(url.absoluteString) answered HTTP \(response.status.code)")
        }
        let expected = response.headers.first(name: "content-length").flatMap(Int64.init)
        let counter = ByteTotal()
        let body = CountingSequence(BudgetedSequence(base: response.body, budget: budget)) { count in
            counter.add(Int64(count))
            progress(Progress(bytes: counter.value, total: expected ?? 0, file: key.fileName))
        }
        let info = try await store.put(key, body: body, contentType: nil)
        if let expected, info.size != expected {
            throw Failure(description: "\(url.absoluteString): stored \(info.size) of \(expected) bytes")
        }
        return info.size
    }

    private func fetchText(_ url: URL, budget: ImportBudget) async throws -> String {
        let response = try await http.execute(HTTPClientRequest(url: try ImportBudget.checked(url).absoluteString), timeout: .seconds(60))
        guard response.status == .ok else {
            throw Failure(description: "\(url.absoluteString) answered HTTP \(response.status.code)")
        }
        let text = try await response.body.collect(upTo: 16 << 20)
        try budget.spend(text.readableBytes)
        return String(buffer: text)
    }

    private func markReady(_ recording: Recording, sizeBytes: Int64, durationMs: Int64?) async throws {
        _ = try await catalog.transaction { tx in
            try await RecordingLifecycle.markReady(
                tx, recording.id, actor: "cli", cause: "imported", changes: RecordingChanges(sizeBytes: sizeBytes))
        }
        if let durationMs {
            try await catalog.pool.recordings.setDuration(recording.id, durationMs: durationMs)
        }
    }
}

/// A byte total shared with progress callbacks.
final package class ByteTotal: Sendable {
    private let total = Atomic<Int64>(0)
    package var value: Int64 { total.load(ordering: .relaxed) }
    package func add(_ count: Int64) { total.add(count, ordering: .relaxed) }
}

import Synchronization
