import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckStore

/// A dependency `/readyz` checks.
public struct ReadinessCheck: Sendable {
    public var name: String
    /// A failing required check makes `/readyz` answer 503; an optional one is only reported.
    public var required: Bool
    public var check: @Sendable () async throws -> Void

    public init(name: String, required: Bool = true, check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.required = required
        self.check = check
    }
}

/// `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.
struct OpsController {
    let readinessChecks: [ReadinessCheck]
    let metrics: ServiceMetrics
    let catalog: Catalog
    let openAPIDocument: ByteBuffer

    /// A check that has not answered by then counts as failed: `/readyz` must answer even when
    /// the database hangs.
    static let checkTimeout: Duration = .seconds(3)

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse(["status": "ok"]) }
        router.get("/readyz") { _, _ in try await readiness() }
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

    func readiness() async throws -> Response {
        let required = Dictionary(uniqueKeysWithValues: readinessChecks.map { ($0.name, $0.required) })
        let results = await withTaskGroup(of: (String, String?).self) { group in
            for check in readinessChecks {
                group.addTask { (check.name, await Self.run(check)) }
            }
            var results: [String: String?] = [:]
            for await (name, failure) in group { results[name] = failure }
            return results
        }
        let failures = results.filter { required[$0.key] ?? true }.compactMapValues { $0 }
        let checks = results.map { name, failure in
            (name, failure.map { (required[name] ?? true ? "error: " : "warning: ") + $0 } ?? "ok")
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
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }
}
