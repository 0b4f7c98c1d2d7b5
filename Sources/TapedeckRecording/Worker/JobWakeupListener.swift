import Foundation
import Logging
import ServiceLifecycle
import TapedeckStore

/// Wakes this process's job worker when any process on the same PostgreSQL catalog enqueues a
/// job (the store's ``JobNotificationListener``), and counts what it hears for `/metrics`.
/// On SQLite there is one process, and enqueuing signals the worker directly.
public struct JobWakeupListener: Service {
    let listener: JobNotificationListener
    let wakeup: WakeupSignal
    let metrics: ServiceMetrics
    let instance: String
    let logger: Logger

    /// `nil` unless the catalog is on PostgreSQL.
    public init?(
        database: DatabaseLocation, wakeup: WakeupSignal, metrics: ServiceMetrics, instance: String, logger: Logger,
        options: JobNotificationListener.Options = JobNotificationListener.Options()
    ) {
        guard case .postgres(let url) = database else { return nil }
        var options = options
        options.applicationName = "tapedeck job listener \(instance)".prefix(63).description
        self.listener = JobNotificationListener(url: url, options: options, logger: logger)
        self.wakeup = wakeup
        self.metrics = metrics
        self.instance = instance
        self.logger = logger
    }

    public func run() async throws {
        let counters = metrics.jobListener(instance: instance)
        let wakeup = wakeup
        let logger = logger
        await cancelWhenGracefulShutdown {
            await listener.run(
                JobNotificationListener.Events(
                    listening: { reconnected in
                        counters.connected.set(Int64(1))
                        if reconnected {
                            counters.reconnects.increment()
                            logger.notice("listening for job notifications again")
                        }
                        // Whatever was enqueued while nobody listened: look once.
                        wakeup.signal()
                    },
                    notification: { _ in
                        counters.notifications.increment()
                        wakeup.signal()
                    },
                    lost: { counters.connected.set(Int64(0)) }))
        }
        counters.connected.set(Int64(0))
    }
}
