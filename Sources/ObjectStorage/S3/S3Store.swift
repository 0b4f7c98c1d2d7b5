import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOFileSystem
import NIOHTTP1
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Objects in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Supabase's S3 endpoint,
/// Google Cloud Storage's XML API), signed with SigV4 over AsyncHTTPClient.
public struct S3Store: ObjectStore {
    public let configuration: S3Configuration
    let addressing: S3Addressing
    let signer: SigV4Signer
    let http: HTTPClient
    let clock: @Sendable () -> Date

    public var backend: String { configuration.backendName }

    static let smallRequestTimeout: TimeAmount = .seconds(30)
    static let partTimeout: TimeAmount = .minutes(15)
    static let attempts = 4

    public init(configuration: S3Configuration, http: HTTPClient, clock: @escaping @Sendable () -> Date = Date.init)
        throws
    {
        self.configuration = configuration
        do {
            self.addressing = try S3Addressing(configuration)
        } catch {
            throw ObjectStoreError.backend(
                message: "endpoint \(configuration.endpoint ?? "") is not an http(s) URL",
                setting: "\(configuration.settingPrefix)ENDPOINT")
        }
        self.signer = SigV4Signer(credentials: configuration.credentials, region: configuration.region)
        self.http = http
        self.clock = clock
    }

    func fullKey(_ key: String) -> String { configuration.keyPrefix + key }

    // MARK: ObjectStore

    public func put<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String?
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer {
        try await uploadStream(key, body: body, contentType: contentType ?? ContentTypes.forKey(key.rawValue))
    }

    public func putFile(
        _ key: ObjectKey, path: String, contentType: String?, progress: ProgressHandler?
    ) async throws -> ObjectInfo {
        try await uploadFile(
            key, path: path, contentType: contentType ?? ContentTypes.forKey(key.rawValue), progress: progress)
    }

    public func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload {
        let response = try await send(
            "GET", key: key.rawValue, headers: ByteRange.requestHeaders(range), timeout: Self.partTimeout,
            streamResponse: true)
        return ObjectDownload(key: key.rawValue, response: response)
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo? {
        do {
            let response = try await send("HEAD", key: key.rawValue)
            return ObjectInfo(key: key.rawValue, responseHeaders: response.headers)
        } catch ObjectStoreError.notFound {
            return nil
        }
    }

    public func delete(_ key: ObjectKey) async throws {
        do {
            _ = try await send("DELETE", key: key.rawValue)
        } catch ObjectStoreError.notFound {
            // Already gone: deleting is idempotent.
        }
    }

    public func deletePrefix(_ prefix: String) async throws -> Int {
        try ObjectKey.validatePrefix(prefix)
        var deleted = 0
        while true {
            // Always list from the start: what was deleted is no longer there.
            let page = try await list(prefix: prefix, startAfter: nil, limit: 1000)
            if page.objects.isEmpty { return deleted }
            if configuration.supportsBatchDelete {
                try await deleteBatch(page.objects.map(\.key))
            } else {
                for object in page.objects { try await delete(try ObjectKey(object.key)) }
            }
            deleted += page.objects.count
        }
    }

    public func list(prefix: String, startAfter: String?, limit: Int) async throws -> ObjectListing {
        try ObjectKey.validatePrefix(prefix)
        var query: [(String, String)] = [
            ("list-type", "2"), ("prefix", fullKey(prefix)), ("max-keys", String(min(max(limit, 1), 1000))),
        ]
        if let startAfter { query.append(("start-after", fullKey(startAfter))) }
        let response = try await send("GET", key: "", query: query)
        let body = try await response.body.collect(upTo: 16 << 20)
        guard let document = XMLNode.parse(Data(buffer: body)), document.name == "ListBucketResult" else {
            throw ObjectStoreError.backend(message: "unreadable ListObjectsV2 response", setting: nil)
        }
        let prefixLength = configuration.keyPrefix.count
        let objects = document.all("Contents").compactMap { item -> ObjectInfo? in
            guard let fullKey = item.value("Key"), fullKey.hasPrefix(configuration.keyPrefix) else { return nil }
            return ObjectInfo(
                key: String(fullKey.dropFirst(prefixLength)), size: Int64(item.value("Size") ?? "") ?? 0,
                contentType: nil, etag: item.value("ETag"),
                lastModified: item.value("LastModified").flatMap(Self.parseISO8601))
        }
        let truncated = document.value("IsTruncated") == "true"
        return ObjectListing(objects: objects, nextStartAfter: truncated ? objects.last?.key : nil)
    }

    public func signedURL(_ key: ObjectKey, expiresIn: TimeInterval, overrides: ResponseOverrides) async throws -> String {
        var query: [(String, String)] = []
        if let disposition = overrides.contentDisposition { query.append(("response-content-disposition", disposition)) }
        if let type = overrides.contentType { query.append(("response-content-type", type)) }
        let path = addressing.path(forKey: fullKey(key.rawValue))
        let signed = signer.presignedQuery(
            method: "GET", host: addressing.host, path: path, query: query,
            expires: min(max(Int(expiresIn.rounded(.up)), 1), 604_800), date: clock())
        return addressing.url(path: path, query: signed)
    }

    public func checkHealth() async throws {
        _ = try await list(prefix: "", startAfter: nil, limit: 1)
    }

    // MARK: Requests

    /// Sends one signed request, retrying throttling, server errors and dropped connections.
    /// Non-2xx answers become ``ObjectStoreError``s naming the setting to check.
    func send(
        _ method: String, key: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: (@Sendable () -> HTTPClientRequest.Body)? = nil, payloadHash: String = SigV4Signer.emptyPayloadHash,
        timeout: TimeAmount = smallRequestTimeout, streamResponse: Bool = false
    ) async throws -> HTTPClientResponse {
        let path = addressing.path(forKey: key.isEmpty ? "" : fullKey(key))
        let queryString = SigV4Signer.canonicalQuery(query)
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: addressing.url(path: path, query: queryString))
            request.method = HTTPMethod(rawValue: method)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            for (name, value) in signer.authorizationHeaders(
                method: method, host: addressing.host, path: path, query: query, headers: headers,
                payloadHash: payloadHash, date: clock())
            {
                request.headers.add(name: name, value: value)
            }
            if let body { request.body = body() }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: timeout)
            } catch let error where !(error is CancellationError) && attempt < Self.attempts {
                try await Self.backoff(attempt)
                continue
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw ObjectStoreError.backend(
                    message: "cannot reach the storage service at \(addressing.scheme)://\(addressing.host): \(error)",
                    setting: "\(configuration.settingPrefix)ENDPOINT")
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) {
                return response
            }
            let errorBody = method == "HEAD" ? ByteBuffer() : ((try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer())
            if S3ErrorMapping.isRetryable(status: status), attempt < Self.attempts {
                try await Self.backoff(attempt)
                continue
            }
            if method == "HEAD", status == 404 { throw ObjectStoreError.notFound(key) }
            _ = streamResponse
            throw S3ErrorMapping.error(
                status: status, body: Data(buffer: errorBody), key: key.isEmpty ? nil : key,
                settings: configuration.settingPrefix)
        }
    }

    static func backoff(_ attempt: Int) async throws {
        let base = 0.2 * pow(2, Double(attempt - 1))
        try await Task.sleep(for: .milliseconds(Int(base * 1000 * Double.random(in: 0.75...1.0))))
    }

    static func parseISO8601(_ text: String) -> Date? {
        try? Date(text, strategy: .iso8601)
    }
}
