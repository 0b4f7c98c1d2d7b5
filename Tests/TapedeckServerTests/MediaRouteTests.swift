import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ObjectStorage
import Testing
import TapedeckCore
import TapedeckServer
import TestSupport

@Suite("Local media serving")
struct MediaRouteTests {
    /// The path and query of a signed URL, for the router test client.
    func target(_ url: String) -> String {
        let components = URLComponents(string: url)!
        return components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
    }

    @Test func servesWholeObjectsRangesAndHead() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let content = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let key = try ObjectKey("room/s/session.mp4")
            _ = try await app.store.put(key, body: [ByteBuffer(bytes: content)].async, contentType: nil)
            let url = try await app.store.signedURL(key, expiresIn: 3600)

            let whole = try await client.execute(uri: target(url), method: .get)
            #expect(whole.status == .ok)
            #expect(whole.headers[.contentType] == "video/mp4")
            #expect(whole.headers[.contentLength] == "100000")
            #expect(whole.headers[.acceptRanges] == "bytes")
            #expect(Array(whole.body.readableBytesView) == content)
            let etag = try #require(whole.headers[.eTag])

            for (header, first, last) in [("bytes=0-9", 0, 9), ("bytes=99990-", 99_990, 99_999), ("bytes=-16", 99_984, 99_999), ("bytes=99999-200000", 99_999, 99_999)] {
                let part = try await client.execute(uri: target(url), method: .get, headers: [.range: header])
                #expect(part.status == .partialContent, "\(header)")
                #expect(part.headers[.contentRange] == "bytes \(first)-\(last)/100000")
                #expect(Array(part.body.readableBytesView) == Array(content[first...last]))
            }
            let unsatisfiable = try await client.execute(uri: target(url), method: .get, headers: [.range: "bytes=100000-"])
            #expect(unsatisfiable.status == .rangeNotSatisfiable)
            #expect(unsatisfiable.headers[.contentRange] == "bytes */100000")
            let ignored = try await client.execute(uri: target(url), method: .get, headers: [.range: "bytes=0-1,5-6"])
            #expect(ignored.status == .ok, "multiple ranges fall back to the whole object")

            let head = try await client.execute(uri: target(url), method: .head)
            #expect(head.status == .ok && head.headers[.contentLength] == "100000" && head.body.readableBytes == 0)

            let cached = try await client.execute(uri: target(url), method: .get, headers: [.ifNoneMatch: etag])
            #expect(cached.status == .notModified && cached.body.readableBytes == 0)
            let stale = try await client.execute(uri: target(url), method: .get, headers: [.range: "bytes=0-1", .ifRange: "\"old\""])
            #expect(stale.status == .ok, "If-Range with another ETag sends the whole object")
        }
    }

    @Test func contentTypesOfRecordingFiles() async throws {
        try await TestApp.with(.sqlite) { app, client in
            for (name, type) in [("index.m3u8", "application/vnd.apple.mpegurl"), ("seg_1.ts", "video/mp2t"),
                                 ("seg_1.m4s", "video/iso.segment"), ("a.m4a", "audio/mp4"), ("t.jpg", "image/jpeg"),
                                 ("s.png", "image/png"), ("en.vtt", "text/vtt; charset=utf-8"), ("m.json", "application/json")] {
                let key = try ObjectKey("r/s/\(name)")
                _ = try await app.store.put(key, body: [ByteBuffer(string: "x")].async, contentType: nil)
                let response = try await client.execute(uri: target(try await app.store.signedURL(key, expiresIn: 60)), method: .get)
                #expect(response.headers[.contentType] == type, "\(name)")
            }
        }
    }

    @Test func refusesTamperedExpiredAndForeignURLs() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let key = try ObjectKey("room/s/session.mp4")
            let other = try ObjectKey("room/s/other.mp4")
            for k in [key, other] {
                _ = try await app.store.put(k, body: [ByteBuffer(string: "PRIVATE-CONTENT-42")].async, contentType: nil)
            }
            let url = target(try await app.store.signedURL(key, expiresIn: 60))
            let otherURL = target(try await app.store.signedURL(other, expiresIn: 60))

            let ok = try await client.execute(uri: url, method: .get)
            #expect(ok.status == .ok)
            // The signature of one object does not open another.
            let swapped = url.replacingOccurrences(of: "session.mp4", with: "other.mp4")
            #expect(try await client.execute(uri: swapped, method: .get).status == .forbidden)
            let tampered = url.replacingOccurrences(of: "expires=", with: "expires=9")
            #expect(try await client.execute(uri: tampered, method: .get).errorCode == "invalid_signature")
            let unsigned = String(url.prefix { $0 != "?" })
            #expect(try await client.execute(uri: unsigned, method: .get).status == .forbidden)
            let forcedDownload = url + "&disposition=attachment"
            #expect(try await client.execute(uri: forcedDownload, method: .get).status == .forbidden)
            let otherSignature = url.replacingOccurrences(
                of: String(url.split(separator: "&").last!), with: String(otherURL.split(separator: "&").last!))
            #expect(try await client.execute(uri: otherSignature, method: .get).status == .forbidden)

            app.clock.advance(by: 61)
            let expired = try await client.execute(uri: url, method: .get)
            #expect(expired.status == .forbidden && expired.errorCode == "url_expired")
            #expect(!expired.text.contains("PRIVATE-CONTENT"), "nothing of the object leaks")

            let traversal = try await client.execute(uri: "/media/../secrets/media-signing.key?expires=1&sig=x", method: .get)
            #expect(traversal.status == .forbidden || traversal.status == .notFound)
            let missing = target(try await app.store.signedURL(try ObjectKey("room/s/gone.mp4"), expiresIn: 60))
            #expect(try await client.execute(uri: missing, method: .get).status == .notFound)
        }
    }

    @Test func downloadOverridesAreApplied() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let key = try ObjectKey("room/s/session.mp4")
            _ = try await app.store.put(key, body: [ByteBuffer(string: "media")].async, contentType: nil)
            let url = try await app.store.signedURL(
                key, expiresIn: 60,
                overrides: ResponseOverrides(contentDisposition: #"attachment; filename="math 101 2026-01-01.mp4""#, contentType: "application/octet-stream"))
            let response = try await client.execute(uri: target(url), method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentDisposition] == #"attachment; filename="math 101 2026-01-01.mp4""#)
            #expect(response.headers[.contentType] == "application/octet-stream")
        }
    }
}
