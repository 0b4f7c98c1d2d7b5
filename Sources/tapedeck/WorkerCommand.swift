import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TapedeckServer
import TapedeckStore
import TapedeckRecording

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Run only the job worker (scale out beside serve on PostgreSQL).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Overrides TAPEDECK_WORKER_CONCURRENCY.")
    var concurrency: Int?

    func run() async throws {
        try await reportingFailures {
            var flags: [String: String] = [:]
            flags["TAPEDECK_WORKER_CONCURRENCY"] = concurrency.map(String.init)
            let settings = try await common.settings(extraFlags: flags)
            let logger = LoggingSetup.bootstrap(settings)
            if case .sqlite = settings.database {
                logger.notice(
                    "SQLite has a single writer: extra workers on the same file queue behind each other; use PostgreSQL to scale out")
            }
            let dependencies = try await ServiceStartup.dependencies(settings, logger: logger)
            let worker = ServiceStartup.worker(settings, dependencies, logger: logger)
            // No periodic tasks of its own (serve runs them), but heartbeats: `tapedeck status` lists it.
            let instance = TaskLeases.identity(role: "worker", version: TapedeckVersion.current, clock: dependencies.catalog.clock)
            try await ServiceStartup.refuseUnsharedLocalStorage(settings, dependencies, instance: instance)
            let heartbeats = PeriodicTaskService(tasks: [], logger: logger, leases: TaskLeases(catalog: dependencies.catalog, instance: instance))
            let group = ServiceGroup(
                configuration: .init(services: [worker, heartbeats], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            await dependencies.shutdown()
        }
    }
}
