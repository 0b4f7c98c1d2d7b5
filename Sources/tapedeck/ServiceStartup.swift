import Foundation
import Logging
import TapedeckServer
import TapedeckRecording

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

    /// The job worker, sized by the settings.
    static func worker(_ settings: Settings, _ dependencies: AppDependencies, logger: Logger) -> JobWorker {
        JobWorker(
            catalog: dependencies.catalog, handlers: dependencies.jobHandlers,
            options: .init(concurrency: settings.workerConcurrency, leaseSeconds: TimeInterval(settings.jobLeaseSeconds)),
            metrics: dependencies.metrics, wakeup: dependencies.scheduler.wakeup, logger: logger)
    }
}
