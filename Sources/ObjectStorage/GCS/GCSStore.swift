import Foundation
import NIOCore

/// Google Cloud Storage: the S3-interoperable XML API (HMAC keys) for everything, and V4 RSA
/// signed URLs when a service-account key is configured.
public struct GCSStore: ObjectStore {
    let objects: S3Store
    let signer: GCSV4Signer?
    let clock: @Sendable () -> Date

    public var backend: String { "gcs" }

    public init(objects: S3Store, serviceAccount: GCSServiceAccount?, clock: @escaping @Sendable () -> Date = Date.init) {
        self.objects = objects
        self.signer = serviceAccount.map {
            GCSV4Signer(account: $0, endpoint: objects.configuration.endpoint ?? "https://storage.googleapis.com")
        }
        self.clock = clock
    }

    public func put<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String?
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer {
        try await objects.put(key, body: body, contentType: contentType)
    }

    public func putFile(
        _ key: ObjectKey, path: String, contentType: String?, progress: ProgressHandler?
    ) async throws -> ObjectInfo {
        try await objects.putFile(key, path: path, contentType: contentType, progress: progress)
    }

    public func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload {
        try await objects.get(key, range: range)
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo? { try await objects.head(key) }
    public func delete(_ key: ObjectKey) async throws { try await objects.delete(key) }
    public func deletePrefix(_ prefix: String) async throws -> Int { try await objects.deletePrefix(prefix) }

    public func list(prefix: String, startAfter: String?, limit: Int) async throws -> ObjectListing {
        try await objects.list(prefix: prefix, startAfter: startAfter, limit: limit)
    }

    public func signedURL(_ key: ObjectKey, expiresIn: TimeInterval, overrides: ResponseOverrides) async throws -> String {
        guard let signer else {
            // GCS accepts SigV4 presigned URLs made with HMAC keys.
            return try await objects.signedURL(key, expiresIn: expiresIn, overrides: overrides)
        }
        return try signer.signedURL(
            bucket: objects.configuration.bucket, key: objects.fullKey(key.rawValue),
            expires: Int(expiresIn.rounded(.up)), overrides: overrides, date: clock())
    }

    public func checkHealth() async throws { try await objects.checkHealth() }
}
