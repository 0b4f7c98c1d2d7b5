import Foundation
import TapedeckCore
import ObjectStorage
import TapedeckStore

/// Catalog rows for tests: a room, a session and recordings in it.
public enum Fixtures {
    @discardableResult
    public static func recording(
        _ catalog: Catalog, room: String = "standup", status: RecordingStatus = .ready, provider: String = "livekit",
        assets: [(AssetKind, String)] = []
    ) async throws -> Recording {
        try await catalog.transaction { tx in
            let room = try await tx.rooms.findOrCreate(name: room, provider: provider)
            let session = try await tx.sessions.create(
                roomID: room.id, roomName: room.name, providerSessionID: "RM_\(RandomToken.base62(length: 8))",
                startedAt: tx.clock.now())
            let id = UUID()
            _ = try await tx.recordings.insert(
                NewRecording(
                    id: id, roomID: room.id, sessionID: session.id, provider: provider,
                    providerRecordingID: "EG_\(RandomToken.base62(length: 10))", status: status, storage: "local",
                    keyPrefix: StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id)))
            for (kind, name) in assets {
                try await tx.assets.upsert(
                    NewAsset(
                        recordingID: id, kind: kind,
                        key: StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id) + name,
                        contentType: "application/octet-stream", sizeBytes: 100))
            }
            return try await tx.recordings.find(id: id)!
        }
    }
}

extension Fixtures {
    /// A key beside the recording's folder whose name starts like it (`<prefix minus slash>-other/x`).
    public static func neighbourKey(of recording: Recording) throws -> ObjectKey {
        try ObjectKey(String(recording.keyPrefix.dropLast()) + "-other/keep.txt")
    }
}
