// A job worker process for the queue's multi-process tests.
//
//   QueueProbe <database-url> <worker-name> <drain|hold> <concurrency> <lease-seconds>
//
// It runs the real JobWorker with two test job kinds that write to a `probe_runs` table the test
// created: `probe.record` writes one "finished" row; `probe.hold` writes "started", then (in hold
// mode) sleeps until the process is killed, or (in drain mode) writes "finished".
// In drain mode the process exits 0 once no job is queued or running.
import Foundation
import Logging
import ServiceLifecycle
import SQLKit
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TapedeckRecording

struct ProbeHandler: JobHandler {
    let kind: String
    let database: CatalogDatabase
    let worker: String
    let hold: Bool

    func run(_ job: Job, logger: Logger) async throws {
        if kind == "probe.hold" {
            try await record(job, phase: "started")
            if hold {
                while true { try await Task.sleep(for: .seconds(3600)) }
            }
        }
        try await record(job, phase: "finished")
    }

    func record(_ job: Job, phase: String) async throws {
        try await database.sql.raw(
            """
            INSERT INTO probe_runs (job_id, worker, phase, attempt)
            VALUES (\(bind: job.id), \(bind: worker), \(bind: phase), \(bind: job.attempts))
            """
        ).run()
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 6, let concurrency = Int(arguments[4]), let lease = Double(arguments[5]) else {
    FileHandle.standardError.write(Data("usage: QueueProbe URL NAME drain|hold CONCURRENCY LEASE\n".utf8))
    exit(64)
}
let (url, name, mode) = (arguments[1], arguments[2], arguments[3])
var logger = Logger(label: "probe")
logger.logLevel = .warning
let database = try CatalogDatabase.open(try DatabaseLocation.parse(url), logger: logger)
try await database.configureSession()
let catalog = Catalog(database: database, clock: SystemClock())
let handlers = JobHandlers(
    ["probe.record", "probe.hold"].map {
        ProbeHandler(kind: $0, database: database, worker: name, hold: mode == "hold")
    })
let worker = JobWorker(
    catalog: catalog, handlers: handlers,
    options: .init(concurrency: concurrency, leaseSeconds: lease, pollInterval: .milliseconds(100)),
    metrics: ServiceMetrics(), wakeup: WakeupSignal(), logger: logger, workerID: name)

struct DrainWatcher: Service {
    let catalog: Catalog
    func run() async throws {
        while true {
            try await Task.sleep(for: .milliseconds(200))
            let open = try await catalog.pool.jobs.counts().filter { $0.state != .dead }.reduce(0) { $0 + $1.count }
            if open == 0 { return }
        }
    }
}

var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: worker)]
if mode == "drain" {
    // When the queue is empty the watcher returns, which shuts the group (and the worker) down.
    services.append(.init(service: DrainWatcher(catalog: catalog), successTerminationBehavior: .gracefullyShutdownGroup))
}
let group = ServiceGroup(configuration: .init(services: services, logger: logger))
try await group.run()
await database.close()
