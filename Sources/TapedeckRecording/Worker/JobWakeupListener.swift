import Foundation
import Logging
import ServiceLifecycle
import TapedeckStore

/// Wakes this process's job worker when any process on the same PostgreSQL catalog enqueues a
/// job (the store's ``JobNotificationListener``), and counts what it hears for `/metrics`. On
/// SQLite there is one process, and enqueuing signals the worker directly.
///
/// A notification wakes the worker only if it has a free slot (``JobWorker/wantsWakeup``) and was
/// not woken in this process for that job already (``WakeupSignal/wasWoken(forJob:)``), and for a
/// job due later only if the worker would otherwise sleep past its due time.
public struct JobWakeupListener: Service {
    let listener: JobNotificationListener
    let worker: JobWorker
    let metrics: ServiceMetrics
    let instance: String
    let logger: Logger

    /// `nil` unless the catalog is on PostgreSQL.
    public init?(
        database: DatabaseLocation, worker: JobWorker, metrics: ServiceMetrics, instance: String, logger: Logger,
        options: JobNotificationListener.Options = JobNotificationListener.Options()
    ) {
        guard case .postgres(let url) = database else { return nil }
        var options = options
        options.applicationName = "tapedeck job listener \(instance)".prefix(63).description
        self.listener = JobNotificationListener(url: url, options: options, logger: logger)
        self.worker = worker
        self.metrics = metrics
        self.instance = instance
        self.logger = logger
    }

    public func run() async throws {
        let counters = metrics.jobListener(instance: instance)
        let worker = worker
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
                        worker.wakeup.signal()
                    },
                    notification: { payload in
                        counters.notifications.increment()
                        let notification = JobQueue.Notification(payload: payload)
                        // A webhook in this process already woke the worker for it; or every slot is busy.
                        let wokenHere = notification.jobID.map(worker.wakeup.wasWoken(forJob:)) ?? false
                        guard !wokenHere, worker.wantsWakeup else {
                            counters.ignored.increment()
                            return
                        }
                        let delay = notification.runAt.map { $0.timeIntervalSince(worker.catalog.clock.now()) } ?? 0
                        worker.wakeup.signal(forJobDueIn: .milliseconds(Int64(delay * 1000)))
                    },
                    lost: { counters.connected.set(Int64(0)) }))
        }
        counters.connected.set(Int64(0))
    }
}
