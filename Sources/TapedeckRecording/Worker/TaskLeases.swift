import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// This instance's part in sharing periodic tasks with the others on one catalog: it holds
/// a task's lease while it runs it, renews it while alive, and writes heartbeats.
public struct TaskLeases: Sendable {
    public let catalog: Catalog
    public let instance: InstanceRecord
    /// How often a lease is checked (and renewed); a lease lasts two of these, so a dead
    /// holder's task is taken over within three.
    public var checkEvery: Duration

    public init(catalog: Catalog, instance: InstanceRecord, checkEvery: Duration = .seconds(10)) {
        self.catalog = catalog
        self.instance = instance
        self.checkEvery = checkEvery
    }

    /// A new identity for this process: host, pid and a random part (pids are reused).
    public static func identity(role: String, version: String, clock: any Clock) -> InstanceRecord {
        let host = ProcessInfo.processInfo.hostName
        let pid = Int64(ProcessInfo.processInfo.processIdentifier)
        return InstanceRecord(
            id: "\(host):\(pid):\(RandomToken.base62(length: 6))", host: host, pid: pid, version: version, role: role,
            startedAt: clock.now(), seenAt: clock.now())
    }

    /// How often a task's lease is checked: often enough that a takeover happens within one
    /// of the task's intervals.
    func check(for task: PeriodicTask) -> Duration {
        min(checkEvery, task.interval / 3)
    }

    func ttl(for task: PeriodicTask) -> TimeInterval {
        let check = self.check(for: task).components
        return 2 * (Double(check.seconds) + Double(check.attoseconds) / 1e18)
    }

    /// Runs `task` whenever this instance holds its lease and the task is due (by when it last
    /// started on any instance), renewing the lease meanwhile.
    func runLeased(_ task: PeriodicTask, logger: Logger) async {
        let holder = instance.id
        let interval = Double(task.interval.components.seconds) + Double(task.interval.components.attoseconds) / 1e18
        while !Task.isCancelled {
            do {
                if let lease = try await catalog.pool.taskLeases.acquire(task.name, holder: holder, ttl: ttl(for: task)) {
                    let due = lease.lastStartedAt.map { catalog.clock.now().timeIntervalSince($0) >= interval * 0.99 } ?? true
                    // Read as `started` reads it, before the round trip: the time logged is the
                    // time stored, which decides when the task is due next on any instance.
                    let startedAt = catalog.clock.now()
                    if due, try await catalog.pool.taskLeases.started(task.name, holder: holder) {
                        // Who ran what when, for an operator (and the cluster tests) to see that
                        // runs never overlap across instances.
                        logRun("periodic task started", task, at: startedAt, logger: logger)
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            group.addTask { try await renew(task) }
                            await PeriodicTaskService.runOnce(task, logger: logger)
                            group.cancelAll()
                        }
                        let finishedAt = catalog.clock.now()
                        try await catalog.pool.taskLeases.finished(task.name, holder: holder)
                        logRun("periodic task finished", task, at: finishedAt, logger: logger)
                    }
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("periodic task lease failed", metadata: ["task": "\(task.name)", "error": "\(error)"])
            }
            try? await Task.sleep(for: check(for: task))
        }
        // Stopping gracefully: another instance may take over at once rather than after the lease.
        try? await catalog.pool.taskLeases.release(task.name, holder: holder)
    }

    private func logRun(_ message: Logger.Message, _ task: PeriodicTask, at: Date, logger: Logger) {
        logger.debug(
            message, metadata: ["task": "\(task.name)", "instance": "\(instance.id)", "at_ms": "\(at.millisecondsSince1970)"])
    }

    /// Keeps the lease while a long run goes on.
    private func renew(_ task: PeriodicTask) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: check(for: task))
            _ = try await catalog.pool.taskLeases.acquire(task.name, holder: instance.id, ttl: ttl(for: task))
        }
    }

    /// This instance is alive: a heartbeat every check, and rows of long-gone instances pruned.
    func heartbeats() async {
        while !Task.isCancelled {
            try? await catalog.pool.instances.heartbeat(instance)
            try? await catalog.pool.instances.prune(before: catalog.clock.now().addingTimeInterval(-86_400))
            try? await Task.sleep(for: checkEvery)
        }
    }
}
