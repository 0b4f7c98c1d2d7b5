import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ObjectStorage
import Testing
import TapedeckCore
import TapedeckServer
import TestSupport

/// `/media` in the whole application (LocalMediaServer's own tests cover the serving): its
/// refusals are the API's JSON errors and a share revoked here stops its URLs at once, through
/// the router and over a socket.
@Suite("Local media in the application")
struct LocalMediaWiringTests {
    @Test(arguments: [TestingSetup.router, .live])
    func mediaAnswersAndRefusesAsTheAPIDoes(setup: TestingSetup) async throws {
        try await TestApp.with(.sqlite, setup: setup) { app, client in
            let key = try ObjectKey("room/s/seg.ts")
            _ = try await app.store.put(key, body: [ByteBuffer(string: "segment")].async, contentType: nil)
            let signer = try #require(app.dependencies.mediaSigner)
            let share = UUID()
            let url = URLComponents(string: signer.signedURL(for: key, expires: app.clock.now() + 60, share: share.uuidString))!
            let target = url.percentEncodedPath + "?" + (url.percentEncodedQuery ?? "")

            let ok = try await client.execute(uri: target, method: .get, headers: [.init("X-Request-Id")!: "wired-1"])
            #expect(ok.status == .ok && ok.text == "segment")
            #expect(ok.headers[.init("X-Request-Id")!] == "wired-1")
            let tampered = try await client.execute(uri: target.replacingOccurrences(of: "seg.ts", with: "other.ts"), method: .get)
            #expect(tampered.status == .forbidden && tampered.errorCode == "invalid_signature")
            #expect(tampered.headers[.contentType] == "application/json; charset=utf-8")

            app.dependencies.revokedShares.insert(share)
            let revoked = try await client.execute(uri: target, method: .get)
            #expect(revoked.status == .gone && revoked.errorCode == "share_expired")
        }
    }
}
