import Synchronization
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

@Suite("Operations endpoints")
struct OpsTests {
    @Test func healthz() async throws {
        try await TestApp.with(.sqlite) { _, client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(response.object["status"] as? String == "ok")
        }
    }

    @Test("readyz checks the database and storage", arguments: TestDatabase.all)
    func readyWhenDependenciesWork(database: TestDatabase) async throws {
        try await TestApp.with(database) { _, client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .ok)
            #expect(response.object["checks"] as? [String: String] == ["database": "ok", "storage": "ok", "media": "ok"])
        }
    }

    @Test func optionalChecksAreReportedWithoutFailingReadiness() async throws {
        struct Missing: Error, CustomStringConvertible { var description: String { "ffmpeg is not installed" } }
        let checks = [
            ReadinessCheck(name: "database") {},
            ReadinessCheck(name: "media", required: false) { throw Missing() },
        ]
        try await TestApp.with(.sqlite, readinessChecks: checks) { app, client in
            let response = try await client.execute(uri: "/readyz", method: .get, headers: app.authorization)
            #expect(response.status == .ok)
            #expect(response.object["checks"] as? [String: String] == ["database": "ok", "media": "warning: ffmpeg is not installed"])
            let anonymous = try await client.execute(uri: "/readyz", method: .get)
            #expect(anonymous.object["checks"] as? [String: String] == ["database": "ok", "media": "warning"])
        }
    }

    @Test func readyzIs503WithTheReason() async throws {
        struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let checks = [
            ReadinessCheck(name: "database") { throw Down() },
            ReadinessCheck(name: "storage") {},
            ReadinessCheck(name: "slow") { try await Task.sleep(for: .seconds(30)) },
        ]
        try await TestApp.with(.sqlite, readinessChecks: checks) { app, client in
            let start = ContinuousClock.now
            let response = try await client.execute(uri: "/readyz", method: .get, headers: app.authorization)
            #expect(ContinuousClock.now - start < .seconds(10), "a hanging check times out")
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "5")
            let checks = response.object["checks"] as? [String: String] ?? [:]
            #expect(checks["database"] == "error: connection refused")
            #expect(checks["storage"] == "ok")
            #expect(checks["slow"]?.hasPrefix("error: no answer within") == true)
            // Without an API key: which check failed, never the error text.
            let anonymous = try await client.execute(uri: "/readyz", method: .get)
            #expect(anonymous.status == .serviceUnavailable)
            #expect(anonymous.object["checks"] as? [String: String] == ["database": "error", "storage": "ok", "slow": "error"])
        }
    }

    @Test func storageIsAskedAtMostOnceInTenSeconds() async throws {
        let calls = Mutex(0)
        let checks = [
            ReadinessCheck(name: "database") {},
            ReadinessCheck(name: "storage", reuseFor: .seconds(10)) { calls.withLock { $0 += 1 } },
        ]
        try await TestApp.with(.sqlite, readinessChecks: checks) { _, client in
            for _ in 0..<5 {
                let response = try await client.execute(uri: "/readyz", method: .get)
                #expect(response.status == .ok)
            }
            #expect(calls.withLock { $0 } == 1)
        }
    }

    @Test("metrics count requests by route and status and report queue depth")
    func metrics() async throws {
        try await TestApp.with(.sqlite) { app, client in
            _ = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            _ = try await client.execute(uri: "/v1/recordings/\(UUID())", method: .get, headers: app.authorization)
            _ = try await client.execute(uri: "/v1/recordings", method: .get)
            try await app.catalog.pool.jobs.enqueue(.init(kind: "recording.purge_objects"))
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            let text = response.text
            #expect(text.contains(#"tapedeck_http_requests_total{method="GET",route="/v1/recordings",status="200"} 1"#))
            #expect(text.contains(#"tapedeck_http_requests_total{method="GET",route="/v1/recordings",status="401"} 1"#))
            #expect(text.contains(#"tapedeck_http_requests_total{method="GET",route="/v1/recordings/{id}",status="404"} 1"#))
            #expect(text.contains("tapedeck_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"tapedeck_jobs{kind="recording.purge_objects",state="queued"} 1"#))
        }
    }
}
