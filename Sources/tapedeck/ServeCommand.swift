import ArgumentParser
import Foundation
import Logging
import NIOCore
import TapedeckServer
import TapedeckRecording

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the HTTP server, the job worker and the periodic tasks.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Overrides TAPEDECK_HOST (default 127.0.0.1).")
    var host: String?

    @Option(help: "Overrides TAPEDECK_PORT (default 8080; 0 picks a free port).")
    var port: String?

    @Option(name: .customLong("public-url"), help: "Overrides TAPEDECK_PUBLIC_URL.")
    var publicURL: String?

    func run() async throws {
        try await reportingFailures {
            var flags: [String: String] = [:]
            flags["TAPEDECK_HOST"] = host
            flags["TAPEDECK_PORT"] = port
            flags["TAPEDECK_PUBLIC_URL"] = publicURL
            let settings = try await common.settings(extraFlags: flags)
            let logger = LoggingSetup.bootstrap(settings)
            print("Tapedeck \(TapedeckVersion.current)")
            for (name, value) in settings.summary {
                print("  \(name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(value)")
            }
            var dependencies = try await ServiceStartup.dependencies(settings, logger: logger)
            let worker = ServiceStartup.worker(settings, dependencies, logger: logger)
            let instance = TaskLeases.identity(role: "serve", version: TapedeckVersion.current, clock: dependencies.catalog.clock)
            dependencies.instance = instance
            try await ServiceStartup.refuseUnsharedLocalStorage(settings, dependencies, instance: instance)
            let periodic = PeriodicTaskService(
                tasks: ServerPeriodicTasks.tasks(dependencies), logger: logger,
                leases: TaskLeases(catalog: dependencies.catalog, instance: instance))
            let app = buildApplication(
                settings: settings, dependencies: dependencies, services: [worker, periodic],
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? settings.port
                    print("Listening on http://\(settings.host.contains(":") ? "[\(settings.host)]" : settings.host):\(port)")
                    fflush(nil)
                })
            do {
                try await app.runService()
            } catch {
                await dependencies.shutdown()
                throw Failure.message("server stopped: \(error)")
            }
            await dependencies.shutdown()
        }
    }
}
