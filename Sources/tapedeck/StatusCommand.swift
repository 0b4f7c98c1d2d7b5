import ArgumentParser
import Foundation
import TapedeckCore
import TapedeckServer
import TapedeckRecording

/// What the instances sharing this catalog are doing: who is alive, what is queued, and which
/// instance runs which periodic task.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the instances seen in the last minute, the job queue by kind, and which instance runs each periodic task.")

    @OptionGroup var common: CommonOptions

    func run() async throws {
        try await reportingFailures {
            let settings = try await common.settings()
            let logger = LoggingSetup.bootstrap(settings)
            let dependencies = try await ServiceBootstrap.dependencies(settings, logger: logger, migrate: false)
            let catalog = dependencies.catalog
            let now = catalog.clock.now()
            let instances = try await catalog.pool.instances.seen(since: now.addingTimeInterval(-60))
            print("Instances seen in the last minute: \(instances.count)")
            for instance in instances {
                print("  \(instance.id)  \(instance.role)  version \(instance.version)  up since \(instance.startedAt.rfc3339)  seen \(Int(now.timeIntervalSince(instance.seenAt))) s ago")
            }
            let counts = try await catalog.pool.jobs.counts()
            print("Job queue (unfinished and dead jobs):\(counts.isEmpty ? " empty" : "")")
            for count in counts {
                print("  \(count.kind)  \(count.state.rawValue)  \(count.count)")
            }
            let leases = try await catalog.pool.taskLeases.list()
            print("Periodic tasks:\(leases.isEmpty ? " none has run yet" : "")")
            for lease in leases {
                let state = lease.leaseUntil > now ? "held by \(lease.holder)" : "free (last held by \(lease.holder))"
                let last = lease.lastStartedAt.map { "last started \($0.rfc3339)" } ?? "never started"
                print("  \(lease.name)  \(state)  \(last)  runs \(lease.runs)")
            }
            await dependencies.shutdown()
        }
    }
}
