import Foundation
import Logging
import ServiceLifecycle
import TapedeckStore

/// Something to do every so often (the reconciler, retention, queue housekeeping).
public struct PeriodicTask: Sendable {
    /// Where a task runs when several instances share the catalog.
    public enum Scope: Sendable {
        /// On one instance at a time: the holder of the task's lease.
        case cluster
        /// On every instance (a cache of its own to refresh).
        case everyInstance
    }

    public var name: String
    public var interval: Duration
    public var scope: Scope
    public var action: @Sendable () async throws -> Void

    public init(name: String, interval: Duration, scope: Scope = .cluster, action: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.scope = scope
        self.action = action
    }
}

/// Runs each periodic task on its own schedule until shutdown. A failing run is logged and the
/// task simply runs again at its next turn. With `leases`, a cluster task runs only on the
/// instance holding its lease, at most once per interval across instances; another instance
/// takes over within an interval when the holder dies.
public struct PeriodicTaskService: Service {
    package let tasks: [PeriodicTask]
    package let logger: Logger
    package let leases: TaskLeases?

    public init(tasks: [PeriodicTask], logger: Logger, leases: TaskLeases? = nil) {
        self.tasks = tasks
        self.logger = logger
        self.leases = leases
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            if let leases {
                group.addTask { await cancelWhenGracefulShutdown { await leases.heartbeats() } }
            }
            for task in tasks {
                group.addTask {
                    await cancelWhenGracefulShutdown {
                        if let leases, task.scope == .cluster {
                            await leases.runLeased(task, logger: logger)
                        } else {
                            await Self.runAlways(task, logger: logger)
                        }
                    }
                }
            }
        }
    }

    static func runAlways(_ task: PeriodicTask, logger: Logger) async {
        while !Task.isCancelled {
            await runOnce(task, logger: logger)
            try? await Task.sleep(for: task.interval)
        }
    }

    static func runOnce(_ task: PeriodicTask, logger: Logger) async {
        do {
            try await task.action()
        } catch is CancellationError {
        } catch {
            logger.warning("periodic task failed", metadata: ["task": "\(task.name)", "error": "\(error)"])
        }
    }
}
