import Foundation
import Logging
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// Deletes a deleted recording's objects from storage, then its asset rows.
///
/// Only this recording's objects go. A recording with a folder of its own (named with its id) and
/// no other recording's folder inside it has that folder emptied, leftovers included. Otherwise
/// (recordings made before that layout shared their session's folder) exactly the recording's
/// own objects are deleted (its assets and the segments and sprites they name), less any object
/// another live recording also names or holds in a folder inside this one.
///
/// Objects first, playlists last: if the job stops half-way, the rows still point at whatever is
/// left and the retry deletes it; nothing is orphaned in the bucket.
public struct PurgeRecordingObjectsJob: JobHandler {
    public static let kind = "recording.purge_objects"
    public var kind: String { Self.kind }

    public struct Payload: Codable, Sendable {
        public var recordingID: UUID
        public var keyPrefix: String

        package enum CodingKeys: String, CodingKey {
            case recordingID = "recording_id", keyPrefix = "key_prefix"
        }
    }

    package let catalog: Catalog
    package let store: any ObjectStore
    static package let maximumIndexBytes = 16 << 20

    public init(catalog: Catalog, store: any ObjectStore) {
        self.catalog = catalog
        self.store = store
    }

    public static func newJob(recordingID: UUID, keyPrefix: String) throws -> NewJob {
        try NewJob(
            kind: kind, payload: Payload(recordingID: recordingID, keyPrefix: keyPrefix),
            idempotencyKey: "\(kind):\(recordingID.uuidString.lowercased())", maxAttempts: 20)
    }

    public func run(_ job: Job, logger: Logger) async throws {
        let payload = try job.decodedPayload(as: Payload.self)
        try await purge(payload.recordingID, under: payload.keyPrefix, logger: logger)
    }

    /// Deletes a deleted recording's objects (with `unlisted`: keys a job stored for it but never
    /// listed), then its asset rows. A job that finds its recording deleted after storing files
    /// for it runs this again: the purge may have run before those files landed.
    package func purge(_ recordingID: UUID, under prefix: String, unlisted: [String] = [], logger: Logger) async throws {
        // A prefix must name a folder, never "everything".
        guard !prefix.isEmpty, prefix.hasSuffix("/") else {
            throw JobOutcome.permanentFailure("refusing to delete objects under unsafe prefix \"\(prefix)\"")
        }
        let deleted = try await deleteObjects(of: recordingID, under: prefix, unlisted: unlisted, logger: logger)
        let adopted = try await deleteAdopted(recordingID: recordingID, outside: prefix)
        try await catalog.pool.assets.deleteAll(recordingID: recordingID)
        logger.info("deleted recording objects", metadata: ["count": "\(deleted + adopted)", "prefix": "\(prefix)"])
    }

    /// Deletes the recording's objects in its folder: the whole folder when it is the recording's
    /// own and holds no other recording's, otherwise its assets (and what their playlists and
    /// storyboards name) and `unlisted` (keys a job stored but never listed), less anything
    /// another recording names or holds in a folder inside this one. Returns how many.
    package func deleteObjects(of recordingID: UUID, under prefix: String, unlisted: [String] = [], logger: Logger) async throws -> Int {
        let neighbours = try await catalog.pool.recordings.sharingKeyPrefix(prefix, excluding: recordingID)
        // Folders of other recordings inside this one (a recording of the new layout inside an
        // old, session-wide folder): everything under them is theirs.
        let inside = neighbours.filter { $0.keyPrefix != prefix && $0.keyPrefix.hasPrefix(prefix) }
        if StorageNaming.isOwnFolder(prefix, of: recordingID) && neighbours.allSatisfy({ !$0.keyPrefix.hasPrefix(prefix) }) {
            // The recording's own folder, and no other recording's inside it: empty it whole,
            // leftovers included. No recording can be created inside it later (its name holds
            // this recording's id).
            return try await store.deletePrefix(prefix)
        }
        let own = try await catalog.pool.assets.list(recordingID: recordingID)
        let theirs = Array(try await catalog.pool.assets.list(recordingIDs: neighbours.map(\.id)).values.joined())
        let named = Set(try await objectKeys(of: theirs, under: ""))
        var seen = Set<String>()
        let keys = (try await objectKeys(of: own, under: prefix) + unlisted.filter { $0.hasPrefix(prefix) }).filter { key in
            !named.contains(key) && !inside.contains { key.hasPrefix($0.keyPrefix) } && seen.insert(key).inserted
        }
        for key in keys { try await store.delete(try ObjectKey(key)) }
        if !neighbours.isEmpty {
            logger.notice(
                "recording shared its folder with other recordings; deleted only what no other one names",
                metadata: ["prefix": "\(prefix)", "others": "\(neighbours.count)"])
        }
        return keys.count
    }

    /// Files kept where a provider wrote them (a 100ms template uploading into Tapedeck's own
    /// bucket) lie outside the recording's folder: each is deleted by its exact key, unless
    /// another recording names it too.
    package func deleteAdopted(recordingID: UUID, outside prefix: String) async throws -> Int {
        var deleted = 0
        for asset in try await catalog.pool.assets.list(recordingID: recordingID) where !asset.key.hasPrefix(prefix) {
            guard try await !catalog.pool.assets.isNamed(asset.key, byOtherThan: recordingID) else { continue }
            try await store.delete(try ObjectKey(asset.key))
            deleted += 1
        }
        return deleted
    }

    /// The recording's objects: segments and sprites first (named by its playlists and storyboard
    /// indexes), then the assets themselves, all under the recording's prefix.
    package func objectKeys(of assets: [Asset], under prefix: String) async throws -> [String] {
        var named: [String] = []
        for asset in assets where asset.kind == .hls || asset.kind == .storyboard {
            guard let text = try await text(of: asset.key) else { continue }
            if asset.kind == .hls, let playlist = try? HLSPlaylist.parse(text) {
                named += PlaylistSigning.objectKeys(of: playlist, playlistKey: asset.key).values.sorted()
            } else if asset.kind == .storyboard {
                named += StoryboardSigning.objectKeys(ofVTT: text, vttKey: asset.key).values.sorted()
            }
        }
        var seen = Set<String>()
        return (named + assets.map(\.key)).filter { $0.hasPrefix(prefix) && seen.insert($0).inserted }
    }

    package func text(of key: String) async throws -> String? {
        do {
            let download = try await store.get(try ObjectKey(key))
            return String(buffer: try await download.body.collect(upTo: Self.maximumIndexBytes))
        } catch ObjectStoreError.notFound(_) {
            return nil
        }
    }
}
