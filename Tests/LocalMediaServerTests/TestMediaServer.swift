import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LocalMediaServer
import ObjectStorage
import TapedeckCore
import TestSupport

/// A Hummingbird application serving `/media` from a temporary local store, with the channel
/// pipeline's fast path, and two plain routes for requests that are not media: `/healthz`, and
/// `/slow`, which answers after 400 ms.
struct TestMediaServer: Sendable {
    let store: LocalDiskStore
    let signer: MediaURLSigner
    let clock: ManualClock

    static func with<T: Sendable>(
        setup: TestingSetup = .router, isRevoked: (@Sendable (UUID) -> Bool)? = nil,
        _ body: @escaping @Sendable (TestMediaServer, any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let clock = ManualClock()
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let signer = MediaURLSigner(secret: Array(repeating: 7, count: 32), baseURL: "http://127.0.0.1")
        let store = LocalDiskStore(
            root: directory.path + "/objects", scratch: directory.path + "/tmp", signer: signer, clock: { clock.now() })
        let router = Router()
        MediaController(store: store, signer: signer, clock: clock, isRevoked: isRevoked).register(on: router)
        router.get("/healthz") { _, _ in "ok" }
        router.get("/slow") { _, _ in
            try await Task.sleep(for: .milliseconds(400))
            return "slow answer"
        }
        let fastPath = LocalMediaFastPath(
            signer: signer, store: store, clock: clock, logger: TestLogger.make(), isRevoked: isRevoked,
            requestID: { $0 ?? RequestIDs.next() })
        let application = Application(
            router: router, server: .http1(media: fastPath),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "Tapedeck"),
            logger: TestLogger.make())
        let server = TestMediaServer(store: store, signer: signer, clock: clock)
        return try await application.test(setup) { client in try await body(server, client) }
    }
}

extension TestResponse {
    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }

    /// `error.code` of a JSON error body.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
}
