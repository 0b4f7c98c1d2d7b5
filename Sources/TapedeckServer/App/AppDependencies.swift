import AsyncHTTPClient
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
    /// Shared by the storage backends and provider clients; shut down with ``shutdown()``.
    public var http: HTTPClient
    /// Verifies `/media` URLs when storage is local.
    public var mediaSigner: MediaURLSigner?
    public var logger: Logger

    public init(
        catalog: Catalog, store: any ObjectStore, metrics: ServiceMetrics, http: HTTPClient = .shared,
        mediaSigner: MediaURLSigner? = nil, settings: Settings? = nil, wakeup: WakeupSignal = WakeupSignal(),
        readinessChecks: [ReadinessCheck]? = nil, logger: Logger
    ) {
        self.catalog = catalog
        self.store = store
        self.metrics = metrics
        self.http = http
        self.mediaSigner = mediaSigner ?? settings.flatMap { settings in
            if case .local = settings.storage { try? ServiceBootstrap.mediaSigner(settings) } else { nil }
        }
        self.scheduler = JobScheduler(catalog: catalog, wakeup: wakeup)
        self.readinessChecks =
            readinessChecks ?? [
                ReadinessCheck(name: "database") { try await catalog.database.ping() },
                ReadinessCheck(name: "storage") { try await store.checkHealth() },
            ]
        self.logger = logger
    }

    /// The local disk store behind `store`, if storage is local.
    var localDiskStore: LocalDiskStore? {
        (store as? LocalDiskStore) ?? ((store as? InstrumentedObjectStore)?.base as? LocalDiskStore)
    }

    /// Closes the catalog and the HTTP client.
    public func shutdown() async {
        if http !== HTTPClient.shared { try? await http.shutdown() }
        await catalog.database.close()
    }

    /// The job handlers of this process.
    public var jobHandlers: JobHandlers {
        JobHandlers([
            PurgeRecordingObjectsJob(catalog: catalog, store: store),
            IngestFilesJob(catalog: catalog, store: store, logger: logger),
        ])
    }
}
