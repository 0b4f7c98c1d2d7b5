import Foundation
import NIOCore

/// Storage for recording files: local disk, S3-compatible services, Google Cloud Storage, Supabase.
///
/// Bodies are streamed in both directions; no method needs a whole object in memory.
public protocol ObjectStore: Sendable {
    /// Short backend name for logs, metrics and the catalog (`local`, `s3`, `gcs`, `supabase`).
    var backend: String { get }

    /// Stores a byte stream of unknown length under `key`, replacing any object there.
    /// The object appears whole or not at all.
    func put<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String?
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer

    /// Stores a local file under `key`, reporting bytes sent so far to `progress`.
    func putFile(_ key: ObjectKey, path: String, contentType: String?, progress: ProgressHandler?) async throws
        -> ObjectInfo

    /// Stores local files the caller has finished with, in order: a store on the same disk moves
    /// them into place (no copy), the others upload them. The files are gone afterwards. When it
    /// returns, every one is stored durably, so an index naming them can be stored next.
    func moveFiles(_ files: [FileToStore]) async throws -> [ObjectInfo]

    /// Streams an object (or one byte range of it). Throws ``ObjectStoreError/notFound(_:)``
    /// and ``ObjectStoreError/rangeNotSatisfiable(size:)``.
    func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload

    /// Size, content type and ETag; `nil` when there is no such object.
    func head(_ key: ObjectKey) async throws -> ObjectInfo?

    /// Deletes an object; deleting a missing object succeeds.
    func delete(_ key: ObjectKey) async throws

    /// Deletes every object whose key starts with `prefix`; returns how many.
    func deletePrefix(_ prefix: String) async throws -> Int

    /// One page of keys starting with `prefix`, in key order, after `startAfter`.
    func list(prefix: String, startAfter: String?, limit: Int) async throws -> ObjectListing

    /// A URL that lets anyone holding it GET the object until `expiresIn` seconds from now.
    func signedURL(_ key: ObjectKey, expiresIn: TimeInterval, overrides: ResponseOverrides) async throws -> String

    /// Signed URLs for many objects at once (an HLS playlist's segments), in the same order.
    func signedURLs(_ keys: [ObjectKey], expiresIn: TimeInterval) async throws -> [String]

    /// A cheap check that the backend is usable (writable disk, or an authenticated request).
    func checkHealth() async throws
}

extension ObjectStore {
    public func get(_ key: ObjectKey) async throws -> ObjectDownload {
        try await get(key, range: nil)
    }

    public func putFile(_ key: ObjectKey, path: String, contentType: String?) async throws -> ObjectInfo {
        try await putFile(key, path: path, contentType: contentType, progress: nil)
    }

    public func signedURL(_ key: ObjectKey, expiresIn: TimeInterval) async throws -> String {
        try await signedURL(key, expiresIn: expiresIn, overrides: ResponseOverrides())
    }

    /// Uploads each file, then removes it.
    public func moveFiles(_ files: [FileToStore]) async throws -> [ObjectInfo] {
        var stored: [ObjectInfo] = []
        for file in files {
            stored.append(try await putFile(file.key, path: file.path, contentType: file.contentType, progress: nil))
            try? FileManager.default.removeItem(atPath: file.path)
        }
        return stored
    }

    /// Signs one by one; backends that sign locally need nothing better.
    public func signedURLs(_ keys: [ObjectKey], expiresIn: TimeInterval) async throws -> [String] {
        var urls: [String] = []
        urls.reserveCapacity(keys.count)
        for key in keys { urls.append(try await signedURL(key, expiresIn: expiresIn, overrides: ResponseOverrides())) }
        return urls
    }
}

/// A local file to store under a key (see ``ObjectStore/moveFiles(_:)``).
public struct FileToStore: Sendable {
    public var key: ObjectKey
    public var path: String
    public var contentType: String?

    public init(key: ObjectKey, path: String, contentType: String?) {
        self.key = key
        self.path = path
        self.contentType = contentType
    }
}

/// Facts about a stored object.
public struct ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var contentType: String?
    /// Opaque version tag, quoted as in HTTP (`"..."`). For S3 multipart objects it ends in `-N`.
    public var etag: String?
    public var lastModified: Date?
    /// Hex SHA-256 of the content when the backend computed it while storing.
    public var sha256: String?

    public init(
        key: String, size: Int64, contentType: String? = nil, etag: String? = nil, lastModified: Date? = nil,
        sha256: String? = nil
    ) {
        self.key = key
        self.size = size
        self.contentType = contentType
        self.etag = etag
        self.lastModified = lastModified
        self.sha256 = sha256
    }
}

/// A streamed object: facts, the served range, and the bytes.
public struct ObjectDownload: Sendable {
    public var info: ObjectInfo
    /// The inclusive byte range being delivered; `nil` for the whole object.
    public var range: ClosedRange<Int64>?
    /// Produces the bytes, in order, into `sink`; runs at most once.
    public var body: ObjectBody

    public init(info: ObjectInfo, range: ClosedRange<Int64>?, body: ObjectBody) {
        self.info = info
        self.range = range
        self.body = body
    }

    /// Number of bytes `body` delivers.
    public var length: Int64 {
        range.map { $0.upperBound - $0.lowerBound + 1 } ?? info.size
    }
}

/// A push-style byte stream: the producer keeps its resources (file handle, HTTP response) open
/// exactly as long as it writes.
public struct ObjectBody: Sendable {
    public let write: @Sendable (_ sink: (ByteBuffer) async throws -> Void) async throws -> Void

    public init(_ write: @escaping @Sendable (_ sink: (ByteBuffer) async throws -> Void) async throws -> Void) {
        self.write = write
    }

    /// Collects everything; for small objects (playlists, manifests) only.
    public func collect(upTo limit: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        try await write { chunk in
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                throw ObjectStoreError.tooLarge(limit: limit)
            }
            var chunk = chunk
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}

/// A page of a listing.
public struct ObjectListing: Sendable, Equatable {
    public var objects: [ObjectInfo]
    /// Pass as `startAfter` for the next page; `nil` on the last page.
    public var nextStartAfter: String?

    public init(objects: [ObjectInfo], nextStartAfter: String?) {
        self.objects = objects
        self.nextStartAfter = nextStartAfter
    }
}

/// Headers the signed URL's response will carry instead of the stored ones.
public struct ResponseOverrides: Sendable, Equatable, Hashable {
    public var contentDisposition: String?
    public var contentType: String?

    public init(contentDisposition: String? = nil, contentType: String? = nil) {
        self.contentDisposition = contentDisposition
        self.contentType = contentType
    }
}

public enum ObjectStoreError: Error, Equatable, CustomStringConvertible {
    case notFound(String)
    case rangeNotSatisfiable(size: Int64)
    case tooLarge(limit: Int)
    /// The stored copy does not match what was sent.
    case verificationFailed(String)
    /// The backend refused or failed; `setting` names the configuration to check when known.
    case backend(message: String, setting: String?)
    case invalidKey(ObjectKeyError)

    public var description: String {
        switch self {
        case .notFound(let key): "no object at \(key)"
        case .rangeNotSatisfiable(let size): "requested range is outside the object (\(size) bytes)"
        case .tooLarge(let limit): "object is larger than \(limit) bytes"
        case .verificationFailed(let why): "stored copy failed verification: \(why)"
        case .backend(let message, let setting):
            setting.map { "\(message) (check \($0))" } ?? message
        case .invalidKey(let error): error.description
        }
    }
}
