import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

/// An application wired to a scratch catalog and a temporary local store, with an admin key.
struct TestApp: Sendable {
    let catalog: Catalog
    let store: LocalDiskStore
    let dependencies: AppDependencies
    let settings: Settings
    let adminKey: String
    let clock: ManualClock
    let directory: TemporaryDirectory

    var authorization: HTTPFields { [.authorization: "Bearer \(adminKey)"] }

    /// Builds the app on `database` and runs `body` against it without a socket.
    static func with<T: Sendable>(
        _ database: TestDatabase, readinessChecks: [ReadinessCheck]? = nil, setup: TestingSetup = .router,
        settingValues: [String: String] = [:],
        _ body: @escaping @Sendable (TestApp, any TestClientProtocol) async throws -> T
    ) async throws -> T {
        let clock = ManualClock()
        return try await withTestCatalog(database, clock: clock) { catalog in
            let directory = try TemporaryDirectory.create()
            defer { directory.remove() }
            var settings = try Settings.parse(
                SettingValues(settingValues.merging(["TAPEDECK_DATA_DIR": directory.path, "TAPEDECK_PORT": "0"]) { $1 }))
            settings.maxRequestBodyBytes = 4096
            let signer = MediaURLSigner(secret: Array(repeating: 7, count: 32), baseURL: settings.publicURL)
            let store = LocalDiskStore(
                root: directory.path + "/objects", scratch: directory.path + "/tmp", signer: signer,
                clock: { clock.now() })
            var dependencies = AppDependencies(
                catalog: catalog, store: store, metrics: ServiceMetrics(), mediaSigner: signer,
                readinessChecks: readinessChecks, logger: TestLogger.make())
            // Verified keys age with the test's clock, so a test can move past their maximum age.
            dependencies.verifiedKeys = VerifiedKeys(clock: clock)
            let (_, credential) = try await catalog.pool.apiKeys.create(name: "test")
            let app = TestApp(
                catalog: catalog, store: store, dependencies: dependencies, settings: settings,
                adminKey: credential.token, clock: clock, directory: directory)
            let application = buildApplication(settings: settings, dependencies: dependencies)
            return try await application.test(setup) { client in try await body(app, client) }
        }
    }
}

extension TestResponse {
    /// The body decoded as JSON into `T`.
    func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(buffer: body))
    }

    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }

    /// `error.code` of a JSON error body.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }
}
