import Foundation
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// Everything the application talks to, passed in explicitly (tests pass fakes and a manual clock).
public struct AppDependencies: Sendable {
    public var catalog: Catalog
    public var store: any ObjectStore
    public var metrics: ServiceMetrics
    public var scheduler: JobScheduler
    public var readinessChecks: [ReadinessCheck]
    public var logger: Logger

    public init(
        catalog: Catalog, store: any ObjectStore, metrics: ServiceMetrics, wakeup: WakeupSignal = WakeupSignal(),
        readinessChecks: [ReadinessCheck]? = nil, logger: Logger
    ) {
        self.catalog = catalog
        self.store = store
        self.metrics = metrics
        self.scheduler = JobScheduler(catalog: catalog, wakeup: wakeup)
        self.readinessChecks =
            readinessChecks ?? [
                ReadinessCheck(name: "database") { try await catalog.database.ping() },
                ReadinessCheck(name: "storage") { try await store.checkHealth() },
            ]
        self.logger = logger
    }

    /// The job handlers of this process.
    public var jobHandlers: JobHandlers {
        JobHandlers([PurgeRecordingObjectsJob(catalog: catalog, store: store)])
    }
}
