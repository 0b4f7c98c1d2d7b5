import AsyncHTTPClient
import Foundation
import HMS
import NIOCore
import ObjectStorage
import TapedeckCore

/// One 100ms asset streamed from a fresh presigned URL Tapedeck asked 100ms for into the store
/// (never whole in memory), its size checked against what the answer announced and what 100ms
/// reports. A short or long copy is deleted and thrown: the queue retries with a new URL.
package struct HMSDownload: Sendable {
    package let api: any HMSAPI
    package let store: any ObjectStore
    package let http: HTTPClient

    /// Presigned URLs are asked for this long: a copy that takes longer is retried with a new one.
    static package let presignLifetime = 3600

    /// Returns the bytes stored under `key`.
    package func copy(_ asset: HMSAsset, to key: ObjectKey, timeout: TimeAmount = .hours(6)) async throws -> Int64 {
        let presigned = try await api.presignedURL(assetID: asset.id, lifetime: Self.presignLifetime)
        let response = try await http.execute(HTTPClientRequest(url: presigned.url), timeout: timeout)
        guard response.status == .ok else {
            throw HMSError(status: Int(response.status.code), message: "downloading \(asset.type) answered \(response.status.code)")
        }
        let announced = response.headers.first(name: "content-length").flatMap(Int64.init)
        let info = try await store.put(key, body: response.body, contentType: ContentTypes.forKey(key.rawValue))
        for expected in [announced, asset.size].compactMap({ $0 }) where info.size != expected {
            try? await store.delete(key)
            throw HMSError(status: 0, message: "\(asset.type): stored \(info.size) bytes of \(expected)")
        }
        return info.size
    }
}
