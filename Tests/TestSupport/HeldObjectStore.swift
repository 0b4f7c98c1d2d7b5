import Foundation
import NIOCore
import ObjectStorage

/// A store whose uploads and prefix deletions a test can hold at a chosen point (`beforePut` runs
/// before an upload reaches the store, `afterPut` once it is stored but before the caller learns
/// it, and may throw as a worker killed there would never learn it; `afterDeletePrefix` once a
/// prefix is emptied), to force the order concurrent jobs meet storage in.
package struct HeldObjectStore: ObjectStore {
    package let base: any ObjectStore
    package var beforePut: @Sendable (ObjectKey) async -> Void = { _ in }
    package var afterPut: @Sendable (ObjectKey) async throws -> Void = { _ in }
    package var afterDeletePrefix: @Sendable (String) async -> Void = { _ in }

    package init(_ base: any ObjectStore) { self.base = base }

    package var backend: String { base.backend }

    package func put<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String?
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer {
        await beforePut(key)
        let info = try await base.put(key, body: body, contentType: contentType)
        try await afterPut(key)
        return info
    }

    package func putFile(_ key: ObjectKey, path: String, contentType: String?, progress: ProgressHandler?) async throws -> ObjectInfo {
        await beforePut(key)
        let info = try await base.putFile(key, path: path, contentType: contentType, progress: progress)
        try await afterPut(key)
        return info
    }

    package func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload { try await base.get(key, range: range) }
    package func head(_ key: ObjectKey) async throws -> ObjectInfo? { try await base.head(key) }
    package func delete(_ key: ObjectKey) async throws { try await base.delete(key) }

    package func deletePrefix(_ prefix: String) async throws -> Int {
        let count = try await base.deletePrefix(prefix)
        await afterDeletePrefix(prefix)
        return count
    }

    package func list(prefix: String, startAfter: String?, limit: Int) async throws -> ObjectListing {
        try await base.list(prefix: prefix, startAfter: startAfter, limit: limit)
    }

    package func signedURL(_ key: ObjectKey, expiresIn: TimeInterval, overrides: ResponseOverrides) async throws -> String {
        try await base.signedURL(key, expiresIn: expiresIn, overrides: overrides)
    }

    package func checkHealth() async throws { try await base.checkHealth() }
}
