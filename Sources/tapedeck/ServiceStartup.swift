import Foundation
import Logging
import ServiceLifecycle
import TapedeckServer
import TapedeckRecording
import TapedeckStore

/// What `serve`, `worker` and `demo` open the same way.
enum ServiceStartup {
    /// The catalog (migrated), storage and clients, or one clear line saying why not.
    static func dependencies(_ settings: Settings, logger: Logger) async throws -> AppDependencies {
        do {
            return try await ServiceBootstrap.dependencies(settings, logger: logger, migrate: true)
        } catch let error as SettingsError {
            throw Failure.configuration(error)
        } catch {
            throw Failure.message("cannot open the catalog (\(settings.database.redactedDescription)): \(error)")
        }
    }

    /// Local storage is one machine's disk: a second machine on the same catalog would record
    /// into files the first cannot serve. Refused unless the data directory is declared shared.
    static func refuseUnsharedLocalStorage(_ settings: Settings, _ dependencies: AppDependencies, instance: InstanceRecord) async throws {
        guard case .local = settings.storage, !settings.sharedDataDirectory else { return }
        let catalog = dependencies.catalog
        let others = try await catalog.pool.instances.seen(since: catalog.clock.now().addingTimeInterval(-60))
            .filter { $0.host != instance.host }
        guard let other = others.first else { return }
        await dependencies.shutdown()
        throw Failure.message(
            "another machine (\(other.host), instance \(other.id)) runs Tapedeck on this catalog and storage is this machine's local disk: "
                + "use S3, GCS or Supabase storage for several machines, or set TAPEDECK_SHARED_DATA_DIR=true if "
                + "\(settings.dataDirectory) is one shared disk (NFS) for all of them")
    }

    /// The job worker, sized by the settings, and on PostgreSQL (unless `TAPEDECK_JOB_NOTIFY=false`)
    /// the listener that wakes it when another process enqueues a job.
    static func worker(
        _ settings: Settings, _ dependencies: AppDependencies, instance: InstanceRecord, logger: Logger
    ) -> [any Service] {
        let worker = JobWorker(
            catalog: dependencies.catalog, handlers: dependencies.jobHandlers,
            options: .init(
                concurrency: settings.workerConcurrency, leaseSeconds: TimeInterval(settings.jobLeaseSeconds),
                pollInterval: .milliseconds(settings.workerPollMilliseconds)),
            metrics: dependencies.metrics, wakeup: dependencies.scheduler.wakeup, logger: logger)
        guard settings.jobNotifications,
            let listener = JobWakeupListener(
                database: settings.database, worker: worker, metrics: dependencies.metrics,
                instance: instance.id, logger: logger)
        else { return [worker] }
        return [worker, listener]
    }
}
