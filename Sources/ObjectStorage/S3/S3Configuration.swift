import Foundation

/// Where and how to reach an S3-compatible bucket.
public struct S3Configuration: Sendable, Equatable {
    /// `https://host[:port][/base/path]`; `nil` means AWS itself (`https://s3.{region}.amazonaws.com`).
    public var endpoint: String?
    public var region: String
    public var bucket: String
    public var credentials: AWSCredentials
    /// `https://host/bucket/key` instead of `https://bucket.host/key` (MinIO, R2, Supabase, local servers).
    public var forcePathStyle: Bool
    /// Prepended to every key, e.g. `tapedeck/` to share a bucket.
    public var keyPrefix: String
    /// Backend name in logs and metrics (`s3`, `gcs`).
    public var backendName: String
    /// Prefix of this backend's setting names, so errors can name the one to check.
    public var settingPrefix: String
    /// Multipart part size for the first parts (8–64 MiB); later parts grow so huge streams fit in 10,000 parts.
    public var partSize: Int
    /// Parts uploaded at once; memory held is about `(concurrentParts + 1) × partSize`.
    public var concurrentParts: Int
    /// Whether the service supports multi-object delete (`POST ?delete`); GCS does not.
    public var supportsBatchDelete: Bool
    /// Whether a multipart object's ETag is the MD5 of its parts' MD5s, ending in `-N` (true for S3, R2, MinIO; not GCS).
    public var multipartETagIsMD5OfParts: Bool
    /// Hash every part with MD5 and compare it with the ETag the service returns (and send
    /// Content-MD5 for buffered parts). Costs about 2 CPU seconds per GiB; over HTTPS, TLS already
    /// guarantees the bytes in transit, so it is off by default. Sizes and part counts are always checked.
    public var verifyChecksums: Bool

    public static let minimumPartSize = 8 << 20
    public static let maximumPartSize = 64 << 20

    public init(
        endpoint: String?, region: String, bucket: String, credentials: AWSCredentials, forcePathStyle: Bool = false,
        keyPrefix: String = "", backendName: String = "s3", settingPrefix: String = "TAPEDECK_S3_",
        partSize: Int = 8 << 20, concurrentParts: Int = 4, supportsBatchDelete: Bool = true,
        multipartETagIsMD5OfParts: Bool = true, verifyChecksums: Bool = false
    ) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.credentials = credentials
        self.forcePathStyle = forcePathStyle
        self.keyPrefix = keyPrefix
        self.backendName = backendName
        self.settingPrefix = settingPrefix
        self.partSize = min(max(partSize, Self.minimumPartSize), Self.maximumPartSize)
        self.concurrentParts = max(1, concurrentParts)
        self.supportsBatchDelete = supportsBatchDelete
        self.multipartETagIsMD5OfParts = multipartETagIsMD5OfParts
        self.verifyChecksums = verifyChecksums
    }

    /// Google Cloud Storage's S3-interoperable XML API with HMAC keys.
    public static func googleCloudStorage(
        bucket: String, credentials: AWSCredentials, keyPrefix: String = "", endpoint: String? = nil
    ) -> S3Configuration {
        S3Configuration(
            endpoint: endpoint ?? "https://storage.googleapis.com", region: "auto", bucket: bucket,
            credentials: credentials, forcePathStyle: true, keyPrefix: keyPrefix, backendName: "gcs",
            settingPrefix: "TAPEDECK_GCS_", supportsBatchDelete: false, multipartETagIsMD5OfParts: false)
    }
}

/// How requests for one bucket are addressed: scheme, host (with a non-default port), and the path
/// before the key. Pure, so addressing rules are tested without a network.
struct S3Addressing: Sendable, Equatable {
    var scheme: String
    /// As in the `Host` header: a port only when it is not the scheme's default.
    var host: String
    /// Already-encoded path up to (not including) the key, without a trailing slash: "" or "/bucket" or "/base/bucket".
    var basePath: String

    enum Failure: Error, Equatable {
        case invalidEndpoint(String)
    }

    init(_ configuration: S3Configuration) throws(Failure) {
        let bucket = SigV4Signer.encodePath(configuration.bucket)
        guard let endpoint = configuration.endpoint else {
            scheme = "https"
            let regional = "s3.\(configuration.region).amazonaws.com"
            // Dotted bucket names break virtual-host TLS (the certificate is *.s3...), so use paths for them.
            if configuration.forcePathStyle || configuration.bucket.contains(".") {
                host = regional
                basePath = "/\(bucket)"
            } else {
                host = "\(configuration.bucket).\(regional)"
                basePath = ""
            }
            return
        }
        guard let components = URLComponents(string: endpoint), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let name = components.host, !name.isEmpty,
            components.query == nil
        else { throw .invalidEndpoint(endpoint) }
        self.scheme = scheme
        var hostPart = name.contains(":") ? "[\(name)]" : name
        if let port = components.port, port != (scheme == "https" ? 443 : 80) {
            hostPart += ":\(port)"
        }
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        if configuration.forcePathStyle {
            host = hostPart
            basePath = path + "/" + bucket
        } else {
            host = "\(configuration.bucket).\(hostPart)"
            basePath = path
        }
    }

    /// The encoded request path of an object (or of the bucket when `key` is empty).
    func path(forKey key: String) -> String {
        key.isEmpty ? (basePath.isEmpty ? "/" : basePath + "/") : basePath + "/" + SigV4Signer.encodePath(key)
    }

    func url(path: String, query: String) -> String {
        "\(scheme)://\(host)\(path)" + (query.isEmpty ? "" : "?\(query)")
    }
}
