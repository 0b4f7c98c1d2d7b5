import Foundation
import Logging
import ServiceLifecycle

/// Something to do every so often (the reconciler, retention, queue housekeeping).
public struct PeriodicTask: Sendable {
    public var name: String
    public var interval: Duration
    public var action: @Sendable () async throws -> Void

    public init(name: String, interval: Duration, action: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.interval = interval
        self.action = action
    }
}

/// Runs each periodic task on its own schedule until shutdown. A failing run is logged and the
/// task simply runs again at its next turn.
public struct PeriodicTaskService: Service {
    package let tasks: [PeriodicTask]
    package let logger: Logger

    public init(tasks: [PeriodicTask], logger: Logger) {
        self.tasks = tasks
        self.logger = logger
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for task in tasks {
                group.addTask {
                    await cancelWhenGracefulShutdown {
                        while !Task.isCancelled {
                            do {
                                try await task.action()
                            } catch is CancellationError {
                                return
                            } catch {
                                logger.warning(
                                    "periodic task failed", metadata: ["task": "\(task.name)", "error": "\(error)"])
                            }
                            try? await Task.sleep(for: task.interval)
                        }
                    }
                }
            }
        }
    }
}
