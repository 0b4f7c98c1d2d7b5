import Foundation
import Logging
import ObjectStorage
import TapedeckStore

/// Deletes a deleted recording's objects from storage, then its asset rows.
///
/// Objects first: if the job stops half-way, the rows still point at whatever is left and the
/// retry deletes it; nothing is orphaned in the bucket.
public struct PurgeRecordingObjectsJob: JobHandler {
    public static let kind = "recording.purge_objects"
    public var kind: String { Self.kind }

    public struct Payload: Codable, Sendable {
        public var recordingID: UUID
        public var keyPrefix: String

        enum CodingKeys: String, CodingKey {
            case recordingID = "recording_id", keyPrefix = "key_prefix"
        }
    }

    let catalog: Catalog
    let store: any ObjectStore

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
        let payload: Payload
        do {
            payload = try job.payload(as: Payload.self)
        } catch {
            throw JobOutcome.permanentFailure("unreadable payload: \(error)")
        }
        // A prefix must name a folder, never "everything" or a sibling's prefix.
        guard !payload.keyPrefix.isEmpty, payload.keyPrefix.hasSuffix("/") else {
            throw JobOutcome.permanentFailure("refusing to delete objects under unsafe prefix \"\(payload.keyPrefix)\"")
        }
        let deleted = try await store.deletePrefix(payload.keyPrefix)
        try await catalog.pool.assets.deleteAll(recordingID: payload.recordingID)
        logger.info("deleted recording objects", metadata: ["count": "\(deleted)", "prefix": "\(payload.keyPrefix)"])
    }
}
