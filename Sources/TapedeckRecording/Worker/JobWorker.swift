import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TapedeckCore
import TapedeckStore

/// Claims jobs from the durable queue and runs them, at most `concurrency` at once.
///
/// While a job runs its lease is renewed, so only a dead worker's jobs are taken over. On
/// graceful shutdown the worker stops claiming and lets running jobs finish; if it is then
/// cancelled, running jobs are released (their attempt not counted) or, failing that, left for
/// their lease to expire.
public final class JobWorker: Service {
    public struct Options: Sendable {
        public var concurrency: Int
        public var leaseSeconds: TimeInterval
        /// Longest sleep between polls when idle.
        public var pollInterval: Duration
        public var retry: RetryPolicy

        public init(
            concurrency: Int = 4, leaseSeconds: TimeInterval = 60, pollInterval: Duration = .seconds(1),
            retry: RetryPolicy = RetryPolicy()
        ) {
            self.concurrency = concurrency
            self.leaseSeconds = leaseSeconds
            self.pollInterval = pollInterval
            self.retry = retry
        }
    }

    package let catalog: Catalog
    package let handlers: JobHandlers
    package let options: Options
    package let metrics: ServiceMetrics
    package let logger: Logger
    package let wakeup: WakeupSignal
    public let workerID: String

    private let inFlight = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// When this worker last put back expired leases.
    private let recoveredAt = Mutex<ContinuousClock.Instant?>(nil)

    public init(
        catalog: Catalog, handlers: JobHandlers, options: Options, metrics: ServiceMetrics, wakeup: WakeupSignal,
        logger: Logger, workerID: String = JobWorker.makeWorkerID()
    ) {
        self.catalog = catalog
        self.handlers = handlers
        self.options = options
        self.metrics = metrics
        self.wakeup = wakeup
        self.logger = logger
        self.workerID = workerID
    }

    public static func makeWorkerID() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(RandomToken.base62(length: 6))"
    }

    public func run() async throws {
        logger.info("job worker started", metadata: ["worker": "\(workerID)", "concurrency": "\(options.concurrency)"])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !stopping.load(ordering: .acquiring), !Task.isCancelled {
                    let free = options.concurrency - inFlight.load(ordering: .acquiring)
                    var claimed: [Job] = []
                    var idle = options.pollInterval
                    if free > 0 {
                        do {
                            let batch = try await claim(limit: free)
                            claimed = batch.jobs
                            if let next = batch.nextRunAt { idle = sleep(until: next) }
                        } catch {
                            logger.warning("claiming jobs failed", metadata: ["error": "\(error)"])
                        }
                    }
                    for job in claimed {
                        inFlight.add(1, ordering: .acquiringAndReleasing)
                        group.addTask {
                            await self.execute(job)
                            self.inFlight.subtract(1, ordering: .acquiringAndReleasing)
                            self.wakeup.signal()
                        }
                    }
                    // A full batch means more may be waiting: look again at once.
                    if claimed.isEmpty || claimed.count < free {
                        await wakeup.wait(timeout: idle)
                    }
                }
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .releasing)
            self.wakeup.signal()
        }
        logger.info("job worker stopped", metadata: ["worker": "\(workerID)"])
    }

    /// Whether a notification of a queued job should wake this worker: not while every slot is
    /// busy (nor while it stops). That loses no job: a slot freed after this answered `false`
    /// wakes the worker itself (every finished job does), and that claim starts after the
    /// notified job's commit, so it sees the job.
    package var wantsWakeup: Bool {
        options.concurrency - inFlight.load(ordering: .acquiring) > 0 && !stopping.load(ordering: .acquiring)
    }

    /// Claims up to `limit` due jobs; when fewer were due, also when the next queued job is due,
    /// so a job scheduled for later starts on time however long the poll interval.
    ///
    /// On PostgreSQL the claim is one statement on the pool, not a transaction (a wake-up that
    /// finds nothing costs two statements), and expired leases are put back at most once a
    /// second: leases last far longer, and a worker may be woken many times a second.
    private func claim(limit: Int) async throws -> (jobs: [Job], nextRunAt: Date?) {
        let workerID = workerID
        let lease = options.leaseSeconds
        let recover = recoveredAt.withLock { last -> Bool in
            let now = ContinuousClock.now
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
        guard catalog.database.kind == .postgres else {
            return try await catalog.transaction { tx in
                let jobs = try await tx.jobs.claim(workerID: workerID, limit: limit, leaseSeconds: lease, recoverExpired: recover)
                return (jobs, jobs.count < limit ? try await tx.jobs.nextRunAt() : nil)
            }
        }
        let jobs = try await catalog.pool.jobs.claim(
            workerID: workerID, limit: limit, leaseSeconds: lease, recoverExpired: recover)
        return (jobs, jobs.count < limit ? try await catalog.pool.jobs.nextRunAt() : nil)
    }

    /// How long to sleep for a job due at `next`: the poll interval at most, and never quite zero,
    /// so a due job held by another worker's claim (skipped while locked) cannot make this one spin.
    private func sleep(until next: Date) -> Duration {
        let seconds = next.timeIntervalSince(catalog.clock.now())
        let poll = options.pollInterval.components
        guard seconds < Double(poll.seconds) + Double(poll.attoseconds) / 1e18 else { return options.pollInterval }
        return max(.milliseconds(5), .milliseconds(Int64(max(0, seconds) * 1000)))
    }

    /// Runs one claimed job and records how it ended.
    package func execute(_ job: Job) async {
        var jobLogger = logger
        jobLogger[metadataKey: "job_id"] = "\(job.id)"
        jobLogger[metadataKey: "job_kind"] = "\(job.kind)"
        let logger = jobLogger
        let start = ContinuousClock.now
        let outcome: String
        let jobs = catalog.pool.jobs
        guard let handler = handlers.handler(for: job.kind) else {
            _ = try? await jobs.fail(job, error: "no handler for job kind \(job.kind)", retry: options.retry, permanent: true)
            metrics.recordJob(kind: job.kind, outcome: "dead", duration: .zero)
            logger.error("job has no handler; marked dead")
            return
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await handler.run(job, logger: logger) }
                group.addTask { try await self.renewLease(job) }
                try await group.next()
                group.cancelAll()
            }
            outcome = try await jobs.complete(job) ? "completed" : "lost"
        } catch is LeaseLost {
            outcome = "lost"
            logger.warning("job lease was lost to another worker; its result is discarded")
        } catch let signal as JobOutcome {
            switch signal {
            case .permanentFailure(let message):
                _ = try? await shielded { try await jobs.fail(job, error: message, retry: self.options.retry, permanent: true) }
                outcome = "dead"
                logger.error("job failed permanently", metadata: ["error": "\(message)"])
            case .postpone(let reason, let seconds):
                let until = catalog.clock.now().addingTimeInterval(seconds)
                _ = try? await shielded { try await jobs.postpone(job, until: until, reason: reason) }
                outcome = "postponed"
                logger.notice("job postponed", metadata: ["reason": "\(reason)"])
            }
        } catch where Task.isCancelled {
            _ = try? await shielded { try await jobs.release(job) }
            outcome = "released"
        } catch {
            let message = String(describing: error)
            let state = try? await shielded { try await jobs.fail(job, error: message, retry: self.options.retry) }
            outcome = state == .dead ? "dead" : "retried"
            logger.warning("job attempt failed", metadata: ["error": "\(message)", "attempt": "\(job.attempts)"])
        }
        metrics.recordJob(kind: job.kind, outcome: outcome, duration: ContinuousClock.now - start)
    }

    /// Extends the lease every third of its length until cancelled; stops the job if the lease is lost.
    ///
    /// A renewal that fails (SQLite busy, a PostgreSQL reconnect or failover) is retried every
    /// second for as long as it takes: only a lease the database says is gone stops the job. That
    /// is safe because renewing is fenced on the holder and the attempt: once another worker has
    /// taken the job over, the renewal answers `false`. A long local recording survives an outage.
    private func renewLease(_ job: Job) async throws {
        let lease = Duration.seconds(options.leaseSeconds)
        var wait = lease / 3
        while true {
            try await Task.sleep(for: wait)
            do {
                guard try await catalog.pool.jobs.extendLease(job, leaseSeconds: options.leaseSeconds) else {
                    throw LeaseLost()
                }
                wait = lease / 3
            } catch let error where !(error is LeaseLost) && !Task.isCancelled {
                logger.warning(
                    "could not renew a job's lease; retrying", metadata: ["job_id": "\(job.id)", "error": "\(error)"])
                wait = .seconds(1)
            }
        }
    }

    package struct LeaseLost: Error {}

    /// Bookkeeping that must reach the database even when the job's task is being cancelled.
    private func shielded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task { try await body() }.value
    }
}
