import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import TestSupport
@testable import ObjectStorage

/// The Supabase REST backend against Tests/peers/supabase_standin.py, a strict stand-in for Supabase
/// Storage's API (there is no Supabase server to run here).
@Suite("Supabase store against the REST stand-in", .serialized, .requiresSupabase)
struct SupabaseStoreTests {
    static var servers: [String] { ProcessInfo.processInfo.environment["TEST_SUPABASE_URL"].map { [$0] } ?? [] }

    func store(_ url: String, key: String? = nil) -> SupabaseStore {
        SupabaseStore(
            configuration: SupabaseConfiguration(
                projectURL: url, serviceKey: key ?? ProcessInfo.processInfo.environment["TEST_SUPABASE_KEY"] ?? "",
                bucket: "recordings", keyPrefix: "t-\(UUID().uuidString.prefix(6))/"),
            http: .shared)
    }

    func violations(_ url: String) async throws -> [String] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url + "/__violations"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String]) ?? ["unreadable"]
    }

    @Test("upload, head, ranged download, list across folders, delete", arguments: servers)
    func roundTrip(url: String) async throws {
        let store = store(url)
        let content = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 * 13) }
        let key = try ObjectKey("room a/s1/session file.mp4")
        let stored = try await store.put(key, body: [ByteBuffer(bytes: content)].async, contentType: nil)
        #expect(stored.size == 50_000 && stored.contentType == "video/mp4")
        #expect(try await store.head(key)?.size == 50_000)
        #expect(try await store.head(try ObjectKey("room a/s1/absent.mp4")) == nil)
        let whole = try await store.get(key).body.collect(upTo: 1 << 20)
        #expect(Array(whole.readableBytesView) == content)
        let part = try await store.get(key, range: .bounded(first: 100, last: 199))
        #expect(part.range == 100...199)
        #expect(Array(try await part.body.collect(upTo: 1024).readableBytesView) == Array(content[100...199]))

        for name in ["room a/s1/index.m3u8", "room a/s1/seg_1.ts", "room a/s2/seg_1.ts", "room b/x.ts"] {
            _ = try await store.put(try ObjectKey(name), body: [ByteBuffer(string: name)].async, contentType: nil)
        }
        let all = try await store.list(prefix: "room a/", startAfter: nil, limit: 100).objects.map(\.key)
        #expect(all == ["room a/s1/index.m3u8", "room a/s1/seg_1.ts", "room a/s1/session file.mp4", "room a/s2/seg_1.ts"])
        let paged = try await store.list(prefix: "room a/", startAfter: nil, limit: 2)
        #expect(paged.objects.count == 2 && paged.nextStartAfter == "room a/s1/seg_1.ts")
        #expect(try await store.list(prefix: "room a/s1/se", startAfter: nil, limit: 10).objects.count == 2)

        #expect(try await store.deletePrefix("room a/") == 4)
        #expect(try await store.list(prefix: "room a/", startAfter: nil, limit: 10).objects.isEmpty)
        try await store.delete(try ObjectKey("room b/x.ts"))
        try await store.delete(try ObjectKey("room b/x.ts"))
        try await store.checkHealth()
        #expect(try await violations(url) == [])
    }

    @Test("signed URLs, one and many, work without credentials", arguments: servers)
    func signedURLs(url: String) async throws {
        let store = store(url)
        let keys = try (0..<3).map { try ObjectKey("r/s/seg_\($0).ts") }
        for key in keys { _ = try await store.put(key, body: [ByteBuffer(string: key.rawValue)].async, contentType: nil) }
        let one = try await store.signedURL(
            keys[0], expiresIn: 60, overrides: ResponseOverrides(contentDisposition: #"attachment; filename="r s.ts""#))
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: one), timeout: .seconds(5))
        #expect(response.status == .ok)
        #expect(response.headers.first(name: "content-disposition") == #"attachment; filename="r s.ts""#)
        #expect(String(buffer: try await response.body.collect(upTo: 1024)) == keys[0].rawValue)
        let many = try await store.signedURLs(keys, expiresIn: 60)
        #expect(many.count == 3)
        for (key, signed) in zip(keys, many) {
            let answer = try await HTTPClient.shared.execute(HTTPClientRequest(url: signed), timeout: .seconds(5))
            #expect(String(buffer: try await answer.body.collect(upTo: 1024)) == key.rawValue)
        }
        _ = try await store.deletePrefix("r/")
        #expect(try await violations(url) == [])
    }

    @Test("a wrong service key is refused with the setting named", arguments: servers)
    func wrongKey(url: String) async throws {
        do {
            try await store(url, key: "not-the-key").checkHealth()
            Issue.record("a wrong key must be refused")
        } catch let error as ObjectStoreError {
            #expect(error.description.contains("TAPEDECK_SUPABASE_SERVICE_KEY"), "\(error)")
        }
    }
}
