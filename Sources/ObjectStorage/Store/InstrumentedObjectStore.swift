import Foundation
import NIOCore

/// Receives one record per storage operation (for metrics).
public protocol ObjectStoreObserver: Sendable {
    /// - Parameters:
    ///   - operation: `put`, `get`, `head`, `delete`, `delete_prefix`, `list`, `sign`, `health`.
    ///   - outcome: `ok`, `not_found`, `error`.
    ///   - bytes: payload bytes moved (uploads and downloads), 0 otherwise.
    func record(backend: String, operation: String, outcome: String, bytes: Int64)
}

/// Wraps a store and reports every operation, its outcome and the bytes moved.
public struct InstrumentedObjectStore: ObjectStore {
    public let base: any ObjectStore
    let observer: any ObjectStoreObserver

    public var backend: String { base.backend }

    public init(_ base: any ObjectStore, observer: any ObjectStoreObserver) {
        self.base = base
        self.observer = observer
    }

    private func observe<T>(_ operation: String, bytes: (T) -> Int64 = { _ in 0 }, _ body: () async throws -> T)
        async throws -> T
    {
        do {
            let result = try await body()
            observer.record(backend: backend, operation: operation, outcome: "ok", bytes: bytes(result))
            return result
        } catch ObjectStoreError.notFound(let key) {
            observer.record(backend: backend, operation: operation, outcome: "not_found", bytes: 0)
            throw ObjectStoreError.notFound(key)
        } catch {
            observer.record(backend: backend, operation: operation, outcome: "error", bytes: 0)
            throw error
        }
    }

    public func put<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String?
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer {
        try await observe("put", bytes: { $0.size }) { try await base.put(key, body: body, contentType: contentType) }
    }

    public func putFile(
        _ key: ObjectKey, path: String, contentType: String?, progress: ProgressHandler?
    ) async throws -> ObjectInfo {
        try await observe("put", bytes: { $0.size }) {
            try await base.putFile(key, path: path, contentType: contentType, progress: progress)
        }
    }

    public func moveFiles(_ files: [FileToStore]) async throws -> [ObjectInfo] {
        try await observe("put", bytes: { $0.reduce(0) { $0 + $1.size } }) { try await base.moveFiles(files) }
    }

    public func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload {
        var download = try await observe("get") { try await base.get(key, range: range) }
        let inner = download.body
        let (backend, observer) = (backend, observer)
        download.body = ObjectBody { sink in
            var sent: Int64 = 0
            do {
                try await inner.write { chunk in
                    sent += Int64(chunk.readableBytes)
                    try await sink(chunk)
                }
                observer.record(backend: backend, operation: "download", outcome: "ok", bytes: sent)
            } catch {
                observer.record(backend: backend, operation: "download", outcome: "error", bytes: sent)
                throw error
            }
        }
        return download
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo? {
        try await observe("head") { try await base.head(key) }
    }

    public func delete(_ key: ObjectKey) async throws {
        try await observe("delete") { try await base.delete(key) }
    }

    public func deletePrefix(_ prefix: String) async throws -> Int {
        try await observe("delete_prefix") { try await base.deletePrefix(prefix) }
    }

    public func list(prefix: String, startAfter: String?, limit: Int) async throws -> ObjectListing {
        try await observe("list") { try await base.list(prefix: prefix, startAfter: startAfter, limit: limit) }
    }

    public func signedURL(_ key: ObjectKey, expiresIn: TimeInterval, overrides: ResponseOverrides) async throws -> String {
        // Signing is local and frequent (one per HLS segment): not counted per call.
        try await base.signedURL(key, expiresIn: expiresIn, overrides: overrides)
    }

    public func signedURLs(_ keys: [ObjectKey], expiresIn: TimeInterval) async throws -> [String] {
        try await base.signedURLs(keys, expiresIn: expiresIn)
    }

    public func checkHealth() async throws {
        try await observe("health") { try await base.checkHealth() }
    }
}
