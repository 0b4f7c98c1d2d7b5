import Foundation
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// The job that ingests a finished recording's local files (recorder output in a shared folder).
///
/// Files are ingested in the order given (segments before the playlist that names them), each
/// step idempotent. Once a playable asset is stored and verified the recording becomes `ready`.
public struct IngestFilesJob: JobHandler {
    public static let kind = "recording.ingest_files"
    public var kind: String { Self.kind }

    public struct Payload: Codable, Sendable, Equatable {
        public var recordingID: UUID
        public var items: [IngestItem]
        public var deleteSources: Bool

        package enum CodingKeys: String, CodingKey {
            case recordingID = "recording_id", items, deleteSources = "delete_sources"
        }

        public init(recordingID: UUID, items: [IngestItem], deleteSources: Bool) {
            self.recordingID = recordingID
            self.items = items
            self.deleteSources = deleteSources
        }
    }

    package let ingestor: Ingestor
    package let catalog: Catalog

    public init(catalog: Catalog, store: any ObjectStore, logger: Logger) {
        self.catalog = catalog
        self.ingestor = Ingestor(catalog: catalog, store: store, logger: logger)
    }

    public static func newJob(_ payload: Payload) throws -> NewJob {
        try NewJob(
            kind: kind, payload: payload,
            idempotencyKey: "\(kind):\(payload.recordingID.uuidString.lowercased()):\(payload.items.map(\.key).joined(separator: "|").hashValueStable)",
            maxAttempts: 25)
    }

    public func run(_ job: Job, logger: Logger) async throws {
        let payload = try job.decodedPayload(as: Payload.self)
        guard let recording = try await catalog.pool.recordings.find(id: payload.recordingID) else {
            throw JobOutcome.permanentFailure("recording \(payload.recordingID) does not exist")
        }
        guard recording.status != .deleted else {
            // Failed, then deleted, while (or before) its files were stored: what an earlier run
            // stored goes, and nothing more is stored.
            return try await removeIngested(payload, of: recording, logger: logger)
        }
        var total: Int64 = 0
        for item in payload.items {
            do {
                total += try await ingestor.ingest(item, recordingID: payload.recordingID, deleteSource: payload.deleteSources)
            } catch let failure as Ingestor.Failure {
                if case .sourceMissing = failure { throw JobOutcome.permanentFailure(failure.description) }
                throw failure
            } catch let error as ObjectKeyError {
                throw JobOutcome.permanentFailure("bad object key \(item.key): \(error)")
            }
        }
        let playable = payload.items.contains { [.hls, .mp4, .audio].contains($0.asset) }
        let stored = total
        let deleted = try await catalog.transaction { tx -> Bool in
            // Deleted meanwhile: its purge may have run before these files landed.
            guard try await tx.recordings.statusHoldingRow(payload.recordingID) != .deleted else { return true }
            if playable {
                try await RecordingLifecycle.markReady(
                    tx, payload.recordingID, actor: "system", cause: "recording files stored and verified",
                    changes: RecordingChanges(sizeBytes: stored))
            }
            return false
        }
        if deleted { return try await removeIngested(payload, of: recording, logger: logger) }
        logger.info("ingested files", metadata: ["count": "\(payload.items.count)", "bytes": "\(total)"])
    }

    /// The files of a recording deleted while they were stored go again, with the asset rows
    /// written for them (the purge may have come first), and so do their sources when the
    /// payload says they are Tapedeck's to delete.
    private func removeIngested(_ payload: Payload, of recording: Recording, logger: Logger) async throws {
        try await PurgeRecordingObjectsJob(catalog: catalog, store: ingestor.store).purge(
            recording.id, under: recording.keyPrefix, unlisted: payload.items.map(\.key), logger: logger)
        // The recorder's own copies in the egress folder would otherwise stay there for good.
        if payload.deleteSources {
            for item in payload.items { unlink(item.sourcePath) }
        }
        logger.info("recording deleted while its files were stored; they are deleted", metadata: ["recording": "\(recording.id)"])
    }
}

package extension String {
    /// FNV-1a, stable across processes (Swift's `hashValue` is seeded per process).
    package var hashValueStable: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
