import Crypto
import Foundation
import Logging
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore

#if canImport(Glibc)
    import Glibc
#endif

/// One finished local file to bring into the object store.
public struct IngestItem: Codable, Sendable, Equatable {
    public var sourcePath: String
    public var key: String
    /// The asset this file is, if it is one (a playlist or MP4); `nil` for an HLS segment.
    public var asset: AssetKind?
    public var contentType: String?

    package enum CodingKeys: String, CodingKey {
        case sourcePath = "source_path", key, asset, contentType = "content_type"
    }

    public init(sourcePath: String, key: String, asset: AssetKind? = nil, contentType: String? = nil) {
        self.sourcePath = sourcePath
        self.key = key
        self.asset = asset
        self.contentType = contentType
    }
}

/// Brings finished local files into the object store without ever losing one.
///
/// Order of every step: upload, verify the stored copy (its size, plus on local disk the SHA-256
/// of the stored file re-read, and on S3 the ETags: part count always, MD5s when
/// `TAPEDECK_S3_VERIFY_ETAGS` is on), record the asset, and only then delete the local file. A crash at any point leaves the local file or a verified
/// stored copy, and running again finishes without duplicating anything.
public struct Ingestor: Sendable {
    package let catalog: Catalog
    package let store: any ObjectStore
    package let logger: Logger

    public init(catalog: Catalog, store: any ObjectStore, logger: Logger) {
        self.catalog = catalog
        self.store = store
        self.logger = logger
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case sourceMissing(String)
        case notAFile(String)
        case verification(String)

        public var description: String {
            switch self {
            case .sourceMissing(let path): "\(path) is gone and no verified stored copy exists"
            case .notAFile(let path): "\(path) is not a regular file"
            case .verification(let why): "stored copy failed verification: \(why)"
            }
        }
    }

    /// Ingests one file. Returns the bytes stored.
    @discardableResult
    public func ingest(
        _ item: IngestItem, recordingID: UUID, deleteSource: Bool, progress: ProgressHandler? = nil
    ) async throws -> Int64 {
        let key = try ObjectKey(item.key)
        var status = stat()
        guard stat(item.sourcePath, &status) == 0 else {
            // Gone: fine only if an earlier run stored, verified and recorded it before deleting it.
            if let stored = try await store.head(key), try await alreadyRecorded(item, recordingID: recordingID, size: stored.size) {
                logger.debug("already ingested", metadata: ["key": "\(item.key)"])
                return stored.size
            }
            throw Failure.sourceMissing(item.sourcePath)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw Failure.notAFile(item.sourcePath) }
        let size = Int64(status.st_size)

        // An earlier run may have stored and recorded it, then stopped before deleting the source.
        var verifiedDigest: String?
        if let stored = try await store.head(key), stored.size == size,
            try await alreadyRecorded(item, recordingID: recordingID, size: size)
        {
            verifiedDigest = try await verify(key: key, expectedSize: size, expectedSHA256: nil)
        } else {
            let info = try await store.putFile(key, path: item.sourcePath, contentType: item.contentType, progress: progress)
            verifiedDigest = try await verify(key: key, expectedSize: size, expectedSHA256: info.sha256)
            if let asset = item.asset {
                try await catalog.pool.assets.upsert(
                    NewAsset(
                        recordingID: recordingID, kind: asset, key: item.key,
                        contentType: item.contentType ?? ContentTypes.forKey(item.key), sizeBytes: size, sha256: verifiedDigest))
            }
        }
        if deleteSource {
            guard unlink(item.sourcePath) == 0 || errno == ENOENT else {
                throw Failure.verification("stored, but cannot delete \(item.sourcePath): \(String(cString: strerror(errno)))")
            }
        }
        return size
    }

    /// Whether the asset row for this file already records the stored object (segments have no row:
    /// a stored copy of the right size is enough for them).
    private func alreadyRecorded(_ item: IngestItem, recordingID: UUID, size: Int64) async throws -> Bool {
        guard item.asset != nil else { return true }
        let assets = try await catalog.pool.assets.list(recordingID: recordingID)
        return assets.contains { $0.key == item.key && $0.sizeBytes == size }
    }

    /// Checks the stored copy; returns its SHA-256 when the backend lets us compute it cheaply.
    package func verify(key: ObjectKey, expectedSize: Int64, expectedSHA256: String?) async throws -> String? {
        guard let stored = try await store.head(key) else { throw Failure.verification("\(key) is missing") }
        guard stored.size == expectedSize else {
            throw Failure.verification("\(key) holds \(stored.size) bytes, the file has \(expectedSize)")
        }
        // Local disk: re-read the stored file and compare with the digest of the bytes written.
        // Remote stores checked ETags and sizes while uploading.
        guard store.backend == "local" else { return expectedSHA256 }
        var hasher = SHA256()
        try await store.get(key).body.write { chunk in
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if let expectedSHA256, digest != expectedSHA256 {
            throw Failure.verification("\(key) does not hash to what was written")
        }
        return digest
    }
}
