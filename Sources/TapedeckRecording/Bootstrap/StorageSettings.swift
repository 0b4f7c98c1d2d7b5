import Foundation
import ObjectStorage

/// Which object store holds recordings, and its settings.
public enum StorageSettings: Sendable, Equatable {
    /// Files under a directory, served by Tapedeck through signed `/media` URLs.
    case local(root: String)
    /// An S3-compatible bucket: AWS S3, Cloudflare R2, MinIO, Supabase's S3 endpoint.
    case s3(S3Configuration)
    /// Google Cloud Storage through its XML API with HMAC keys; V4 RSA signed URLs when a service-account key is given.
    case gcs(S3Configuration, serviceAccountFile: String?)
    /// Supabase Storage through its REST API.
    case supabase(SupabaseConfiguration)

    public enum Kind: String, CaseIterable, Sendable {
        case local, s3, gcs, supabase
    }

    /// For start-up output: where objects go, never a secret.
    public var summary: String {
        switch self {
        case .local(let root): return "local disk at \(root)"
        case .s3(let c):
            let prefix = c.keyPrefix.isEmpty ? "" : "/\(c.keyPrefix)"
            return "S3 bucket \(c.bucket)\(prefix) at \(c.endpoint ?? "AWS \(c.region)")"
        case .gcs(let c, let account):
            return "Google Cloud Storage bucket \(c.bucket)" + (account == nil ? "" : " (V4 RSA signed URLs)")
        case .supabase(let c): return "Supabase Storage bucket \(c.bucket) at \(c.projectURL)"
        }
    }

    public var backendName: String {
        switch self {
        case .local: "local"
        case .s3: "s3"
        case .gcs: "gcs"
        case .supabase: "supabase"
        }
    }

    static package func parse(_ values: SettingValues, dataDirectory: String) throws(SettingsError) -> StorageSettings {
        switch try values.choice("TAPEDECK_STORAGE", default: Kind.local) {
        case .local:
            return .local(root: values.string("TAPEDECK_LOCAL_ROOT") ?? dataDirectory + "/objects")
        case .s3:
            let endpoint = try values.url("TAPEDECK_S3_ENDPOINT")
            let configuration = S3Configuration(
                endpoint: endpoint, region: values.string("TAPEDECK_S3_REGION") ?? "us-east-1",
                bucket: try bucket(values, "TAPEDECK_S3_BUCKET"),
                credentials: try credentials(values, "TAPEDECK_S3_"),
                // Most non-AWS services (MinIO, R2, Supabase, local servers) want path-style requests.
                forcePathStyle: try values.bool("TAPEDECK_S3_FORCE_PATH_STYLE", default: endpoint != nil),
                keyPrefix: try prefix(values, "TAPEDECK_S3_PREFIX"),
                partSize: try values.int("TAPEDECK_S3_PART_SIZE_MB", default: 8, in: 8...64) << 20,
                concurrentParts: try values.int("TAPEDECK_S3_CONCURRENT_PARTS", default: 4, in: 1...16),
                verifyChecksums: try values.bool("TAPEDECK_S3_VERIFY_ETAGS", default: false))
            return .s3(configuration)
        case .gcs:
            var configuration = S3Configuration.googleCloudStorage(
                bucket: try bucket(values, "TAPEDECK_GCS_BUCKET"), credentials: try credentials(values, "TAPEDECK_GCS_"),
                keyPrefix: try prefix(values, "TAPEDECK_GCS_PREFIX"), endpoint: try values.url("TAPEDECK_GCS_ENDPOINT"))
            configuration.concurrentParts = try values.int("TAPEDECK_GCS_CONCURRENT_PARTS", default: 4, in: 1...16)
            configuration.verifyChecksums = try values.bool("TAPEDECK_GCS_VERIFY_ETAGS", default: false)
            let account = values.string("TAPEDECK_GCS_SERVICE_ACCOUNT_FILE")
            if let account {
                guard let data = FileManager.default.contents(atPath: account) else {
                    throw SettingsError("TAPEDECK_GCS_SERVICE_ACCOUNT_FILE", "cannot read \(account)")
                }
                do {
                    _ = try GCSServiceAccount(json: data)
                } catch {
                    throw SettingsError("TAPEDECK_GCS_SERVICE_ACCOUNT_FILE", error.description)
                }
            }
            return .gcs(configuration, serviceAccountFile: account)
        case .supabase:
            guard let url = try values.url("TAPEDECK_SUPABASE_URL") else {
                throw SettingsError("TAPEDECK_SUPABASE_URL", "is required with TAPEDECK_STORAGE=supabase (https://<ref>.supabase.co)")
            }
            guard let key = values.string("TAPEDECK_SUPABASE_SERVICE_KEY") else {
                throw SettingsError("TAPEDECK_SUPABASE_SERVICE_KEY", "is required with TAPEDECK_STORAGE=supabase")
            }
            return .supabase(
                SupabaseConfiguration(
                    projectURL: url, serviceKey: key, bucket: try bucket(values, "TAPEDECK_SUPABASE_BUCKET"),
                    keyPrefix: try prefix(values, "TAPEDECK_SUPABASE_PREFIX")))
        }
    }

    private static func bucket(_ values: SettingValues, _ name: String) throws(SettingsError) -> String {
        guard let bucket = values.string(name) else {
            throw SettingsError(name, "is required for this storage backend")
        }
        guard bucket.count <= 222, !bucket.contains("/"), bucket.allSatisfy({ !$0.isWhitespace }) else {
            throw SettingsError(name, "is not a bucket name: \"\(bucket)\"")
        }
        return bucket
    }

    private static func credentials(_ values: SettingValues, _ prefix: String) throws(SettingsError) -> AWSCredentials {
        guard let id = values.string(prefix + "ACCESS_KEY_ID") else {
            throw SettingsError(prefix + "ACCESS_KEY_ID", "is required for this storage backend")
        }
        guard let secret = values.string(prefix + "SECRET_ACCESS_KEY") else {
            throw SettingsError(prefix + "SECRET_ACCESS_KEY", "is required for this storage backend")
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: values.string(prefix + "SESSION_TOKEN"))
    }

    /// A key prefix, normalised to end with `/` (objects then sit in a folder of the bucket).
    private static func prefix(_ values: SettingValues, _ name: String) throws(SettingsError) -> String {
        guard var prefix = values.string(name) else { return "" }
        while prefix.hasPrefix("/") { prefix.removeFirst() }
        if !prefix.hasSuffix("/") { prefix += "/" }
        do {
            try ObjectKey.validatePrefix(prefix)
        } catch {
            throw SettingsError(name, error.description)
        }
        return prefix
    }
}
