import AsyncHTTPClient
import Foundation
import ObjectStorage

/// The S3 servers started by the test command (Tests/peers/s3_peers.py); absent when run without them.
public enum TestS3 {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// A default-mode server (no signature checks), or nothing: S3 suites run only where the test command started one.
    public static var servers: [String] {
        environment["TEST_S3_ENDPOINT"].map { [$0] } ?? []
    }

    /// The default-mode server behind a proxy whose CompleteMultipartUpload answer has the root
    /// `CompleteMultipartUploadResponse`, as some S3-compatible servers send it.
    public static var renamingServers: [String] {
        environment["TEST_S3_RENAMING_ENDPOINT"].map { [$0] } ?? []
    }

    /// The IAM-mode server, which checks every signature.
    public static var iamServers: [String] {
        environment["TEST_S3_IAM_ENDPOINT"].map { [$0] } ?? []
    }

    public static var bucket: String { environment["TEST_S3_BUCKET"] ?? "tapedeck-test" }

    public static var iamCredentials: AWSCredentials {
        AWSCredentials(
            accessKeyID: environment["TEST_S3_IAM_ACCESS_KEY_ID"] ?? "",
            secretAccessKey: environment["TEST_S3_IAM_SECRET_ACCESS_KEY"] ?? "")
    }

    /// A store on its own random prefix of the shared bucket, so tests do not see each other's objects.
    public static func store(
        endpoint: String, credentials: AWSCredentials = AWSCredentials(accessKeyID: "testing", secretAccessKey: "testing"),
        prefix: String = "t-\(UUID().uuidString.prefix(8))/", partSize: Int = 8 << 20, verifyChecksums: Bool = false,
        http: HTTPClient = .shared
    ) throws -> S3Store {
        try S3Store(
            configuration: S3Configuration(
                endpoint: endpoint, region: "us-east-1", bucket: bucket, credentials: credentials, forcePathStyle: true,
                keyPrefix: prefix, partSize: partSize, verifyChecksums: verifyChecksums),
            http: http)
    }
}
