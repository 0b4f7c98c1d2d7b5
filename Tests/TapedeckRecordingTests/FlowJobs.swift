import Foundation
import TapedeckCore
import TapedeckStore
import TestSupport

@testable import TapedeckRecording

/// What every flow test does as the worker: run due jobs one by one, and read a room's recordings.
enum FlowJobs {
    /// Runs every due job, as a worker would, until none is due (a job that failed waits for its
    /// retry: advance the clock to reach it). Returns the kinds run, in order.
    static func run(_ dependencies: RecordingDependencies, handlers: JobHandlers, limit: Int = 50) async throws -> [String] {
        let catalog = dependencies.catalog
        let worker = JobWorker(
            catalog: catalog, handlers: handlers, options: .init(concurrency: 1), metrics: ServiceMetrics(),
            wakeup: dependencies.scheduler.wakeup, logger: TestLogger.make(), workerID: "flow-test")
        var ran: [String] = []
        for _ in 0..<limit {
            let jobs = try await catalog.transaction { tx in try await tx.jobs.claim(workerID: "flow-test", limit: 1, leaseSeconds: 60) }
            guard let job = jobs.first else { return ran }
            await worker.execute(job)
            ran.append(job.kind)
        }
        return ran
    }

    /// The room's recordings, oldest first (the catalog lists newest first).
    static func recordings(_ catalog: Catalog, room: String) async throws -> [Recording] {
        try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: room), after: nil, limit: 100).reversed()
    }
}
