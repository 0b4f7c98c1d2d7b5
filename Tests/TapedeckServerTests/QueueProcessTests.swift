import Foundation
import SQLKit
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport
import TapedeckRecording

#if canImport(Glibc)
    import Glibc
#endif

/// The job queue across real worker processes.
@Suite("Job queue across processes", .serialized)
struct QueueProcessTests {
    static let probe = BuildProducts.path("QueueProbe")

    func createProbeTable(_ catalog: Catalog) async throws {
        try await catalog.database.sql.raw(
            "CREATE TABLE probe_runs (job_id BIGINT NOT NULL, worker TEXT NOT NULL, phase TEXT NOT NULL, attempt INTEGER NOT NULL)"
        ).run()
    }

    struct Run: Equatable {
        var jobID: Int64
        var worker: String
        var phase: String
        var attempt: Int
    }

    func runs(_ catalog: Catalog) async throws -> [Run] {
        try await catalog.database.sql.raw("SELECT * FROM probe_runs ORDER BY job_id, attempt").all().map { row in
            Run(
                jobID: try row.decode(column: "job_id", as: Int64.self), worker: try row.decode(column: "worker", as: String.self),
                phase: try row.decode(column: "phase", as: String.self), attempt: try row.decode(column: "attempt", as: Int.self))
        }
    }

    @Test(
        "two workers on one PostgreSQL process 1,000 jobs, none twice", .requiresPostgres,
        arguments: TestDatabase.postgresOnly)
    func twoWorkers(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: SystemClock(), shareable: true) { catalog, scratch in
            // setup
            try await createProbeTable(catalog)
            try await catalog.transaction { tx in
                for _ in 0..<1000 { try await tx.jobs.enqueue(NewJob(kind: "probe.record")) }
            }
            let logs = try TemporaryDirectory.create()
            defer { logs.remove() }
            // action: both start together and drain the queue
            let workers = try ["alpha", "beta"].map { name in
                try ProcessRunner.start(
                    Self.probe, [scratch.url, name, "drain", "8", "30"], logPrefix: logs.path + "/" + name)
            }
            // A worker left running by a failed wait is not left behind.
            defer { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
            for worker in workers { try await ProcessRunner.waitForExit(worker) }
            // check
            for worker in workers {
                #expect(worker.terminationStatus == 0, "\(String(describing: try? String(contentsOfFile: logs.path + "/alpha.err", encoding: .utf8)))")
            }
            let recorded = try await runs(catalog)
            #expect(recorded.count == 1000, "every job ran exactly once")
            #expect(Set(recorded.map(\.jobID)).count == 1000, "no job ran twice")
            #expect(recorded.allSatisfy { $0.attempt == 1 })
            let byWorker = Dictionary(grouping: recorded, by: \.worker).mapValues(\.count)
            #expect(byWorker.keys.sorted() == ["alpha", "beta"], "both workers took part: \(byWorker)")
            #expect(try await catalog.pool.jobs.counts().isEmpty, "no job left queued, running or dead")
        }
    }

    @Test("a worker killed holding a job: the job runs again after its lease and completes once", arguments: TestDatabase.all)
    func killedWorker(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: SystemClock(), shareable: true) { catalog, scratch in
            // setup
            try await createProbeTable(catalog)
            let id = try await catalog.pool.jobs.enqueue(NewJob(kind: "probe.hold", maxAttempts: 3)).id
            let logs = try TemporaryDirectory.create()
            defer { logs.remove() }
            let lease = 2.0

            // action: the first worker takes the job and hangs in it; kill it without warning.
            let doomed = try ProcessRunner.start(
                Self.probe, [scratch.url, "doomed", "hold", "1", String(lease)], logPrefix: logs.path + "/doomed")
            let deadline = ContinuousClock.now + .seconds(30)
            while try await runs(catalog).isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await runs(catalog) == [Run(jobID: id, worker: "doomed", phase: "started", attempt: 1)])
            kill(doomed.processIdentifier, SIGKILL)
            try await ProcessRunner.waitForExit(doomed)
            #expect(doomed.terminationReason == .uncaughtSignal)
            let killedAt = ContinuousClock.now

            // A second worker must wait out the lease, then finish the job.
            let survivor = try ProcessRunner.start(
                Self.probe, [scratch.url, "survivor", "drain", "1", String(lease)], logPrefix: logs.path + "/survivor")
            try await ProcessRunner.waitForExit(survivor)
            #expect(survivor.terminationStatus == 0)

            // check
            let job = try #require(try await catalog.pool.jobs.find(id: id))
            #expect(job.state == .done)
            #expect(job.attempts == 2)
            #expect(
                try await runs(catalog) == [
                    Run(jobID: id, worker: "doomed", phase: "started", attempt: 1),
                    Run(jobID: id, worker: "survivor", phase: "started", attempt: 2),
                    Run(jobID: id, worker: "survivor", phase: "finished", attempt: 2),
                ])
            #expect(ContinuousClock.now - killedAt >= .seconds(1), "the job was not taken over before its lease ran out")
        }
    }
}
