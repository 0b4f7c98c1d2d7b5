import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import Testing
import TestSupport
@testable import ObjectStorage

/// The S3 backend against a real S3 server (moto) on 127.0.0.1, started by the test command.
@Suite("S3 store against moto", .requiresS3)
struct S3StoreTests {
    /// Deterministic pseudo-random bytes (a fast LCG), so large objects need no fixture files.
    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for i in 0..<words.count {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                words[i] = state
            }
        }
        return out
    }

    static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    @Test("small objects: put, get, head, ranges, delete", arguments: TestS3.servers)
    func small(endpoint: String) async throws {
        let store = try TestS3.store(endpoint: endpoint)
        let content = Self.pattern(100_000, seed: 1)
        let key = try ObjectKey("room a/2026-01-01_10-00-00/ünïcødé+file (1).mp4")
        let stored = try await store.put(key, body: [ByteBuffer(bytes: content)].async, contentType: nil)
        #expect(stored.size == 100_000)
        let info = try #require(try await store.head(key))
        #expect(info.size == 100_000 && info.contentType == "video/mp4")
        #expect(S3Store.unquote(info.etag ?? "") == Insecure.MD5.hash(data: content).map { String(format: "%02x", $0) }.joined())

        let whole = try await store.get(key).body.collect(upTo: 1 << 20)
        #expect(Array(whole.readableBytesView) == content)
        for (range, expected) in [
            (ByteRange.bounded(first: 10, last: 19), 10...19), (.from(99_990), 99_990...99_999), (.suffix(7), 99_993...99_999),
        ] {
            let part = try await store.get(key, range: range)
            #expect(part.range == Int64(expected.lowerBound)...Int64(expected.upperBound))
            #expect(part.info.size == 100_000)
            #expect(Array(try await part.body.collect(upTo: 1 << 20).readableBytesView) == Array(content[expected]))
        }
        await #expect(throws: ObjectStoreError.self) { _ = try await store.get(key, range: .from(100_000)) }
        try await store.delete(key)
        #expect(try await store.head(key) == nil)
        try await store.delete(key)  // deleting again succeeds
        await #expect(throws: ObjectStoreError.notFound(key.rawValue)) { _ = try await store.get(key) }
    }

    static var serversAndModes: [(String, Bool)] { servers.flatMap { [($0, false), ($0, true)] } }
    static var servers: [String] { TestS3.servers }

    @Test("a 220 MB stream round-trips through multipart (checksums off and on)", arguments: serversAndModes)
    func largeStream(endpoint: String, verifyChecksums: Bool) async throws {
        let store = try TestS3.store(endpoint: endpoint, verifyChecksums: verifyChecksums)
        let size = 220 << 20
        let content = Self.pattern(size, seed: 2)
        // Fed in 1 MiB chunks, as a recorder or download would produce it.
        let chunks = stride(from: 0, to: size, by: 1 << 20).map { ByteBuffer(bytes: content[$0..<min(size, $0 + (1 << 20))]) }
        let key = try ObjectKey("r/s/stream.mp4")
        let stored = try await store.put(key, body: chunks.async, contentType: nil)
        #expect(stored.size == Int64(size))
        #expect(stored.etag?.hasSuffix("-28\"") == true, "28 parts of 8 MiB: \(stored.etag ?? "")")
        let back = try await store.get(key)
        var hasher = SHA256()
        var received = 0
        try await back.body.write { chunk in
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            received += chunk.readableBytes
        }
        #expect(received == size)
        #expect(hasher.finalize().map { String(format: "%02x", $0) }.joined() == Self.sha256(content))
        _ = try await store.deletePrefix("r/")
    }

    @Test(
        "a CompleteMultipartUpload answer with another root name is accepted when it carries an ETag",
        .requiresS3RenamingProxy,
        arguments: TestS3.renamingServers)
    func otherCompleteRoot(endpoint: String) async throws {
        let store = try TestS3.store(endpoint: endpoint)
        let size = 17 << 20
        let content = Self.pattern(size, seed: 5)
        let chunks = stride(from: 0, to: size, by: 1 << 20).map { ByteBuffer(bytes: content[$0..<min(size, $0 + (1 << 20))]) }
        let key = try ObjectKey("r/s/renamed.mp4")
        let stored = try await store.put(key, body: chunks.async, contentType: nil)
        #expect(stored.size == Int64(size) && stored.etag?.hasSuffix("-3\"") == true)
        #expect(try await store.head(key)?.size == Int64(size))
        _ = try await store.deletePrefix("r/")
    }

    @Test("a 210 MB file round-trips through parallel file parts (checksums off and on)", arguments: serversAndModes)
    func largeFile(endpoint: String, verifyChecksums: Bool) async throws {
        let store = try TestS3.store(endpoint: endpoint, verifyChecksums: verifyChecksums)
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let size = 210 << 20
        let content = Self.pattern(size, seed: 3)
        let path = directory.path + "/recording.mp4"
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        let key = try ObjectKey("r/s/file.mp4")
        let progress = ProgressTracker()
        let stored = try await store.putFile(key, path: path, contentType: nil, progress: { progress.seen($0) })
        #expect(stored.size == Int64(size))
        #expect(progress.maximum == Int64(size))
        let back = try await store.get(key).body.collect(upTo: size + 1)
        #expect(Self.sha256(back.readableBytesView) == Self.sha256(content))
        _ = try await store.deletePrefix("r/")
    }

    @Test("listing pages through more than 1,000 keys; delete by prefix", arguments: TestS3.servers)
    func listAndDeletePrefix(endpoint: String) async throws {
        let store = try TestS3.store(endpoint: endpoint)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1_205 {
                group.addTask {
                    _ = try await store.put(
                        try ObjectKey("room/s/seg_\(String(format: "%05d", index)).ts"), body: [ByteBuffer(string: "\(index)")].async,
                        contentType: nil)
                }
                if index % 32 == 31 { try await group.next() }
            }
            try await group.waitForAll()
        }
        _ = try await store.put(try ObjectKey("room/s2/keep.ts"), body: [ByteBuffer(string: "k")].async, contentType: nil)
        var keys: [String] = []
        var after: String?
        repeat {
            let page = try await store.list(prefix: "room/s/", startAfter: after, limit: 1000)
            #expect(page.objects.count <= 1000)
            keys += page.objects.map(\.key)
            after = page.nextStartAfter
        } while after != nil
        #expect(keys.count == 1_205)
        #expect(keys == keys.sorted() && Set(keys).count == 1_205)
        #expect(keys.first == "room/s/seg_00000.ts", "keys come back without the store's prefix")

        #expect(try await store.deletePrefix("room/s/") == 1_205)
        #expect(try await store.list(prefix: "room/s/", startAfter: nil, limit: 10).objects.isEmpty)
        #expect(try await store.head(try ObjectKey("room/s2/keep.ts")) != nil)
        _ = try await store.deletePrefix("room/")
    }

    @Test("a presigned GET works from a plain HTTP client, with response overrides", arguments: TestS3.servers)
    func presigned(endpoint: String) async throws {
        let store = try TestS3.store(endpoint: endpoint)
        let key = try ObjectKey("room a/s/session file.mp4")
        _ = try await store.put(key, body: [ByteBuffer(string: "presigned content")].async, contentType: nil)
        let url = try await store.signedURL(
            key, expiresIn: 300,
            overrides: ResponseOverrides(contentDisposition: #"attachment; filename="room a.mp4""#, contentType: "application/octet-stream"))
        #expect(url.contains("X-Amz-Signature="))
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "content-disposition") == #"attachment; filename="room a.mp4""#)
        #expect(response.headers.first(name: "content-type") == "application/octet-stream")
        #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "presigned content")
        _ = try await store.deletePrefix("room a/")
    }

    @Test("health check and a missing bucket named in the error", arguments: TestS3.servers)
    func healthAndMissingBucket(endpoint: String) async throws {
        try await TestS3.store(endpoint: endpoint).checkHealth()
        let wrong = try S3Store(
            configuration: S3Configuration(
                endpoint: endpoint, region: "us-east-1", bucket: "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())",
                credentials: AWSCredentials(accessKeyID: "testing", secretAccessKey: "testing"), forcePathStyle: true),
            http: .shared)
        do {
            try await wrong.checkHealth()
            Issue.record("a missing bucket must fail the health check")
        } catch let error as ObjectStoreError {
            #expect(error.description.contains("TAPEDECK_S3_BUCKET"), "\(error)")
        }
    }

    @Test(
        "with signatures checked: the right secret works, a wrong one names the settings", .requiresS3IAM,
        arguments: TestS3.iamServers)
    func signatureChecks(endpoint: String) async throws {
        let good = try TestS3.store(endpoint: endpoint, credentials: TestS3.iamCredentials, verifyChecksums: true)
        let key = try ObjectKey("signed/ok.txt")
        _ = try await good.put(key, body: [ByteBuffer(string: "ok")].async, contentType: nil)
        #expect(try await good.head(key)?.size == 2)
        let big = Self.pattern(17 << 20, seed: 4)
        _ = try await good.put(try ObjectKey("signed/multipart.bin"), body: [ByteBuffer(bytes: big)].async, contentType: nil)
        #expect(try await good.list(prefix: "signed/", startAfter: nil, limit: 10).objects.count == 2)
        #expect(try await good.deletePrefix("signed/") == 2)

        var credentials = TestS3.iamCredentials
        credentials.secretAccessKey = String(credentials.secretAccessKey.reversed())
        let bad = try TestS3.store(endpoint: endpoint, credentials: credentials)
        do {
            _ = try await bad.put(key, body: [ByteBuffer(string: "no")].async, contentType: nil)
            Issue.record("a wrong secret must be refused")
        } catch let error as ObjectStoreError {
            let text = error.description
            #expect(text.contains("signature"), "\(text)")
            #expect(text.contains("TAPEDECK_S3_SECRET_ACCESS_KEY") && text.contains("TAPEDECK_S3_REGION"), "\(text)")
        }
    }
}

/// Records the largest progress value reported from concurrent part uploads.
final class ProgressTracker: Sendable {
    private let value = Mutex<Int64>(0)
    func seen(_ bytes: Int64) { value.withLock { $0 = max($0, bytes) } }
    var maximum: Int64 { value.withLock { $0 } }
}

import Synchronization
