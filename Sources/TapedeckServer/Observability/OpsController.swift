import Synchronization
import Foundation
import TapedeckCore
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckStore
import TapedeckRecording

/// A dependency `/readyz` checks.
public struct ReadinessCheck: Sendable {
    public var name: String
    /// A failing required check makes `/readyz` answer 503; an optional one is only reported.
    public var required: Bool
    /// How long a result is reused: a storage check is a request the operator may pay for, and a
    /// load balancer asks every few seconds.
    public var reuseFor: Duration
    public var check: @Sendable () async throws -> Void

    public init(
        name: String, required: Bool = true, reuseFor: Duration = .zero, check: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.required = required
        self.reuseFor = reuseFor
        self.check = check
    }
}

/// The last result of each readiness check, with when it was taken.
final class ReadinessResults: Sendable {
    private let results = Mutex<[String: (at: ContinuousClock.Instant, failure: String?)]>([:])

    func reusable(_ check: ReadinessCheck) -> String?? {
        guard check.reuseFor > .zero else { return nil }
        return results.withLock { results in
            guard let last = results[check.name], ContinuousClock.now - last.at < check.reuseFor else { return nil }
            return .some(last.failure)
        }
    }

    func record(_ name: String, _ failure: String?) {
        results.withLock { $0[name] = (ContinuousClock.now, failure) }
    }
}

/// `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.
struct OpsController {
    let readinessChecks: [ReadinessCheck]
    let metrics: ServiceMetrics
    let catalog: Catalog
    var instance: InstanceRecord? = nil
    /// Set when 100ms is configured: its recordings overdue for their copy are counted at each scrape.
    let hms: HMSRecorder?
    let openAPIDocument: ByteBuffer
    let lastResults = ReadinessResults()

    /// A check that has not answered by then counts as failed: `/readyz` must answer even when
    /// the database hangs.
    static let checkTimeout: Duration = .seconds(3)

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse(["status": "ok"]) }
        router.get("/readyz") { request, _ in try await readiness(detailed: await isAdmin(request)) }
        router.get("/metrics") { _, _ in try await prometheus() }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                body: .init(byteBuffer: openAPIDocument))
        }
    }

    struct ReadinessReport: JSONRepresentable {
        var status: String
        var checks: [String: String]

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("status", status)
                json.member("checks", checks)
            }
        }
    }

    /// Whether the caller presented a valid API key: only then does `/readyz` say what failed
    /// (error texts name hosts, buckets and paths).
    func isAdmin(_ request: Request) async -> Bool {
        guard let token = AuthenticationMiddleware.bearerToken(request.headers[.authorization]),
            let credential = APIKeyCredential.parse(token)
        else { return false }
        // The installation's details are for its global keys, not an organization's.
        guard let key = (try? await catalog.pool.apiKeys.authenticate(credential)) ?? nil else { return false }
        return key.organizationID == nil
    }

    func readiness(detailed: Bool) async throws -> Response {
        let required = Dictionary(uniqueKeysWithValues: readinessChecks.map { ($0.name, $0.required) })
        let lastResults = self.lastResults
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for check in readinessChecks {
                group.addTask {
                    if let reused = lastResults.reusable(check) { return (check.name, reused) }
                    let failure = await Self.run(check)
                    lastResults.record(check.name, failure)
                    return (check.name, failure)
                }
            }
            var results: [String: String?] = [:]
            for await (name, failure) in group { results[name] = failure }
            return results
        }
        let failures = results.filter { required[$0.key] ?? true }.compactMapValues { $0 }
        let checks = results.map { name, failure in
            (name, failure.map { (required[name] ?? true ? "error" : "warning") + (detailed ? ": " + $0 : "") } ?? "ok")
        }.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
        if failures.isEmpty {
            return JSONResponse(ReadinessReport(status: "ready", checks: checks)).makeResponse()
        }
        var response = JSONResponse(ReadinessReport(status: "unavailable", checks: checks), status: .serviceUnavailable)
            .makeResponse()
        response.headers[.retryAfter] = "5"
        return response
    }

    static func run(_ check: ReadinessCheck) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await check.check()
                    return nil
                } catch {
                    return String(describing: error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: checkTimeout)
                return Task.isCancelled ? nil : "no answer within \(checkTimeout)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    func prometheus() async throws -> Response {
        // Queue depth is read at scrape time so it is right whichever process changed it.
        if let counts = try? await catalog.pool.jobs.counts() {
            var seen = Set<String>()
            for count in counts {
                metrics.setJobDepth(kind: count.kind, state: count.state.rawValue, count: count.count)
                seen.insert("\(count.kind)|\(count.state.rawValue)")
            }
            metrics.zeroJobDepths(except: seen)
        }
        if let hms, let overdue = try? await hms.uncopiedOverADay() {
            metrics.setHMSUncopiedOverADay(overdue)
        }
        var body = metrics.render()
        body += await ClusterMetrics.render(catalog: catalog, instance: instance)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
