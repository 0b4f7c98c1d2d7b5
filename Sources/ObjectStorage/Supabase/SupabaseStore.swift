import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFileSystem
import NIOFoundationCompat
import NIOHTTP1
import SystemPackage

/// Settings of a Supabase Storage bucket reached through its REST API.
public struct SupabaseConfiguration: Sendable, Equatable {
    /// The project URL, `https://<ref>.supabase.co`.
    public var projectURL: String
    /// The service-role key (bypasses row-level security; keep it server-side).
    public var serviceKey: String
    public var bucket: String
    public var keyPrefix: String

    public init(projectURL: String, serviceKey: String, bucket: String, keyPrefix: String = "") {
        self.projectURL = projectURL.hasSuffix("/") ? String(projectURL.dropLast()) : projectURL
        self.serviceKey = serviceKey
        self.bucket = bucket
        self.keyPrefix = keyPrefix
    }
}

/// Objects in Supabase Storage through its REST API (`/storage/v1/object/...`).
///
/// Uploads are one request each: fine for playlists, thumbnails and moderate files. For large
/// recordings Supabase's S3-compatible endpoint with the `s3` backend is better (multipart,
/// parallel parts, retries per part, no per-request size limit).
public struct SupabaseStore: ObjectStore {
    public let configuration: SupabaseConfiguration
    let http: HTTPClient

    public var backend: String { "supabase" }

    static let settings = "TAPEDECK_SUPABASE_"

    public init(configuration: SupabaseConfiguration, http: HTTPClient) {
        self.configuration = configuration
        self.http = http
    }

    var base: String { configuration.projectURL + "/storage/v1" }

    func objectPath(_ key: String) -> String {
        SigV4Signer.encodePath(configuration.bucket) + "/" + SigV4Signer.encodePath(configuration.keyPrefix + key)
    }

    // MARK: ObjectStore

    /// The REST upload needs a declared length, so a stream of unknown length is spooled to a
    /// temporary file first (disk, not memory), then uploaded from there.
    public func put<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String?
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer {
        let spool = NSTemporaryDirectory() + "/tapedeck-spool-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try await FileSystem.shared.withFileHandle(
            forWritingAt: FilePath(spool), options: .newFile(replaceExisting: true)
        ) { handle in
            var writer = handle.bufferedWriter()
            for try await chunk in body { try await writer.write(contentsOf: chunk) }
            try await writer.flush()
        }
        return try await putFile(key, path: spool, contentType: contentType, progress: nil)
    }

    public func putFile(
        _ key: ObjectKey, path: String, contentType: String?, progress: ProgressHandler?
    ) async throws -> ObjectInfo {
        let counter = ByteCounter(report: progress)
        guard let size = try await FileSystem.shared.info(forFileAt: FilePath(path))?.size else {
            throw ObjectStoreError.notFound(path)
        }
        let type = contentType ?? ContentTypes.forKey(key.rawValue)
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            let chunks = ObservedSequence(
                base: handle.readChunks(chunkLength: .kibibytes(512)), md5: nil, progress: { counter.add($0) })
            _ = try await send(
                "POST", "/object/\(objectPath(key.rawValue))",
                headers: [("content-type", type), ("x-upsert", "true"), ("cache-control", "max-age=3600")],
                body: .stream(chunks, length: .known(size)), retryable: false, timeout: .minutes(60))
        }
        guard let info = try await head(key), info.size == size else {
            throw ObjectStoreError.verificationFailed("\(key): stored size differs from the file's \(size) bytes")
        }
        return info
    }

    public func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload {
        let response = try await send(
            "GET", "/object/authenticated/\(objectPath(key.rawValue))", headers: ByteRange.requestHeaders(range),
            key: key.rawValue, timeout: .minutes(60))
        return ObjectDownload(key: key.rawValue, response: response)
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo? {
        do {
            let response = try await send("HEAD", "/object/\(objectPath(key.rawValue))", key: key.rawValue)
            return ObjectInfo(key: key.rawValue, responseHeaders: response.headers)
        } catch ObjectStoreError.notFound {
            return nil
        }
    }

    public func delete(_ key: ObjectKey) async throws {
        do {
            _ = try await send("DELETE", "/object/\(objectPath(key.rawValue))", key: key.rawValue)
        } catch ObjectStoreError.notFound {
            // Already gone.
        }
    }

    public func deletePrefix(_ prefix: String) async throws -> Int {
        try ObjectKey.validatePrefix(prefix)
        var deleted = 0
        while true {
            let page = try await list(prefix: prefix, startAfter: nil, limit: 1000)
            if page.objects.isEmpty { return deleted }
            let names = page.objects.map { configuration.keyPrefix + $0.key }
            let body = try JSONSerialization.data(withJSONObject: ["prefixes": names])
            _ = try await send(
                "DELETE", "/object/\(SigV4Signer.encodePath(configuration.bucket))",
                headers: [("content-type", "application/json")], body: .bytes(ByteBuffer(data: body)))
            deleted += names.count
        }
    }

    /// Supabase lists one folder level at a time; this walks the folders under the prefix and
    /// returns the files in key order.
    public func list(prefix: String, startAfter: String?, limit: Int) async throws -> ObjectListing {
        try ObjectKey.validatePrefix(prefix)
        let full = configuration.keyPrefix + prefix
        // The API's `prefix` is a folder plus a name filter.
        let folder = full.contains("/") ? String(full[..<full.lastIndex(of: "/")!]) : ""
        var found: [ObjectInfo] = []
        try await walk(folder: folder, into: &found, matching: full)
        let strip = configuration.keyPrefix.count
        var objects = found.map { info -> ObjectInfo in
            var info = info
            info.key = String(info.key.dropFirst(strip))
            return info
        }.sorted { $0.key < $1.key }
        if let startAfter { objects = objects.filter { $0.key > startAfter } }
        let page = Array(objects.prefix(max(1, limit)))
        return ObjectListing(objects: page, nextStartAfter: objects.count > page.count ? page.last?.key : nil)
    }

    private func walk(folder: String, into found: inout [ObjectInfo], matching prefix: String) async throws {
        var offset = 0
        let pageSize = 1000
        while true {
            let request: [String: Any] = [
                "prefix": folder, "limit": pageSize, "offset": offset,
                "sortBy": ["column": "name", "order": "asc"],
            ]
            let response = try await send(
                "POST", "/object/list/\(SigV4Signer.encodePath(configuration.bucket))",
                headers: [("content-type", "application/json")],
                body: .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: request))))
            let data = Data(buffer: try await response.body.collect(upTo: 32 << 20))
            guard let entries = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
                throw ObjectStoreError.backend(message: "unreadable list response", setting: nil)
            }
            for entry in entries {
                guard let name = entry["name"] as? String else { continue }
                let path = folder.isEmpty ? name : "\(folder)/\(name)"
                // Folders have no id; recurse into those that can hold matching keys.
                if entry["id"] == nil || entry["id"] is NSNull {
                    if (path + "/").hasPrefix(prefix) || prefix.hasPrefix(path + "/") {
                        try await walk(folder: path, into: &found, matching: prefix)
                    }
                } else if path.hasPrefix(prefix) {
                    let metadata = entry["metadata"] as? [String: Any] ?? [:]
                    found.append(
                        ObjectInfo(
                            key: path, size: (metadata["size"] as? NSNumber)?.int64Value ?? 0,
                            contentType: metadata["mimetype"] as? String, etag: metadata["eTag"] as? String))
                }
            }
            if entries.count < pageSize { return }
            offset += pageSize
        }
    }

    public func signedURL(_ key: ObjectKey, expiresIn: TimeInterval, overrides: ResponseOverrides) async throws -> String {
        let body = try JSONSerialization.data(withJSONObject: ["expiresIn": max(1, Int(expiresIn.rounded(.up)))])
        let response = try await send(
            "POST", "/object/sign/\(objectPath(key.rawValue))", headers: [("content-type", "application/json")],
            body: .bytes(ByteBuffer(data: body)), key: key.rawValue)
        let data = Data(buffer: try await response.body.collect(upTo: 1 << 20))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let signed = object["signedURL"] as? String
        else { throw ObjectStoreError.backend(message: "unreadable sign response", setting: nil) }
        return base + signed + Self.downloadSuffix(overrides)
    }

    /// One request signs every segment of a playlist.
    public func signedURLs(_ keys: [ObjectKey], expiresIn: TimeInterval) async throws -> [String] {
        guard !keys.isEmpty else { return [] }
        let paths = keys.map { configuration.keyPrefix + $0.rawValue }
        let body = try JSONSerialization.data(
            withJSONObject: ["expiresIn": max(1, Int(expiresIn.rounded(.up))), "paths": paths])
        let response = try await send(
            "POST", "/object/sign/\(SigV4Signer.encodePath(configuration.bucket))",
            headers: [("content-type", "application/json")], body: .bytes(ByteBuffer(data: body)))
        let data = Data(buffer: try await response.body.collect(upTo: 32 << 20))
        guard let entries = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw ObjectStoreError.backend(message: "unreadable sign response", setting: nil)
        }
        var byPath: [String: String] = [:]
        for entry in entries {
            if let path = entry["path"] as? String, let signed = entry["signedURL"] as? String {
                byPath[path] = base + signed
            }
        }
        return try paths.map { path in
            guard let url = byPath[path] else { throw ObjectStoreError.notFound(path) }
            return url
        }
    }

    public func checkHealth() async throws {
        _ = try await send(
            "POST", "/object/list/\(SigV4Signer.encodePath(configuration.bucket))",
            headers: [("content-type", "application/json")],
            body: .bytes(ByteBuffer(string: #"{"prefix":"","limit":1,"offset":0}"#)))
    }

    // MARK: Requests

    /// Supabase can only force a download (`download=<name>`); a content-type override is not supported.
    static func downloadSuffix(_ overrides: ResponseOverrides) -> String {
        guard let disposition = overrides.contentDisposition, disposition.lowercased().hasPrefix("attachment") else {
            return ""
        }
        var name = ""
        if let range = disposition.range(of: "filename=\"") {
            name = String(disposition[range.upperBound...].prefix { $0 != "\"" })
        }
        return "&download=" + URIEncoding.encode(name, keepSlash: false)
    }

    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: HTTPClientRequest.Body? = nil,
        key: String? = nil, retryable: Bool = true, timeout: TimeAmount = .seconds(30)
    ) async throws -> HTTPClientResponse {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: base + path)
            request.method = HTTPMethod(rawValue: method)
            request.headers.add(name: "authorization", value: "Bearer \(configuration.serviceKey)")
            request.headers.add(name: "apikey", value: configuration.serviceKey)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            if let body { request.body = body }
            let response: HTTPClientResponse
            do {
                response = try await http.execute(request, timeout: timeout)
            } catch let error where retryable && attempt < 4 && !(error is CancellationError) {
                try await S3Store.backoff(attempt)
                continue
            } catch {
                throw ObjectStoreError.backend(
                    message: "cannot reach Supabase at \(configuration.projectURL): \(error)",
                    setting: "\(Self.settings)URL")
            }
            let status = Int(response.status.code)
            if (200..<300).contains(status) { return response }
            let answer = method == "HEAD" ? ByteBuffer() : (try? await response.body.collect(upTo: 64 << 10)) ?? ByteBuffer()
            if retryable, S3ErrorMapping.isRetryable(status: status), attempt < 4 {
                try await S3Store.backoff(attempt)
                continue
            }
            throw Self.error(status: status, body: Data(buffer: answer), key: key)
        }
    }

    static func error(status: Int, body: Data, key: String?) -> ObjectStoreError {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        let message = (object["message"] as? String) ?? (object["error"] as? String) ?? "HTTP \(status)"
        switch status {
        case 404 where key != nil && !message.lowercased().contains("bucket"):
            return .notFound(key!)
        case 404:
            return .backend(message: "Supabase: \(message)", setting: "\(settings)BUCKET")
        case 416:
            return .rangeNotSatisfiable(size: 0)
        case 400 where message.lowercased().contains("not found") && key != nil:
            return .notFound(key!)
        case 401, 403:
            return .backend(message: "Supabase refused the key: \(message)", setting: "\(settings)SERVICE_KEY")
        case 413:
            return .backend(
                message: "Supabase refused the object as too large: \(message); use its S3 endpoint with the s3 backend for large files",
                setting: "TAPEDECK_STORAGE")
        default:
            return .backend(message: "Supabase answered HTTP \(status): \(message)", setting: nil)
        }
    }
}
