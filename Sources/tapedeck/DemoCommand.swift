import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TapedeckServer
import TapedeckRecording

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Record a test pattern, process it, and print a link to watch it (the server keeps running).")

    @OptionGroup var common: CommonOptions

    @Option(help: "Overrides TAPEDECK_PORT (default 8080).")
    var port: String?

    @Option(help: "How long to record, in seconds.")
    var seconds: Int = 20

    @Flag(name: .customLong("exit"), help: "Stop the server once the link is printed.")
    var exitWhenDone = false

    func validate() throws {
        guard (3...600).contains(seconds) else { throw ValidationError("--seconds must be from 3 to 600") }
    }

    func run() async throws {
        try await reportingFailures {
            var flags: [String: String] = [:]
            flags["TAPEDECK_PORT"] = port
            let settings = try await common.settings(extraFlags: flags)
            let logger = LoggingSetup.bootstrap(settings, level: .warning)
            print("Tapedeck \(TapedeckVersion.current) demo: catalog \(settings.database.redactedDescription), storage \(settings.storage.summary)")
            let dependencies = try await ServiceStartup.dependencies(settings, logger: logger)
            let instance = TaskLeases.identity(role: "demo", version: TapedeckVersion.current, clock: dependencies.catalog.clock)
            let workers = ServiceStartup.worker(settings, dependencies, instance: instance, logger: logger)
            let app = buildApplication(settings: settings, dependencies: dependencies, services: workers)
            let demo = DemoRun(
                dependencies: dependencies.recording, viewerSecret: dependencies.playback.viewerSecret,
                publicURL: dependencies.playback.publicURL, seconds: seconds
            ) { line in
                print(line)
                fflush(nil)
            }
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: app),
                        .init(service: demo, successTerminationBehavior: exitWhenDone ? .gracefullyShutdownGroup : .ignore),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            if !exitWhenDone {
                print("The server runs until Ctrl-C; `tapedeck serve` serves the recording again later.")
            }
            do {
                try await group.run()
            } catch let failed as DemoRun.Failed {
                await dependencies.shutdown()
                throw Failure.message(failed.description)
            } catch {
                await dependencies.shutdown()
                throw Failure.message("demo stopped: \(error)")
            }
            await dependencies.shutdown()
        }
    }
}
