import ArgumentParser
import Foundation
import Logging
import TapedeckServer
import TapedeckStore
import TapedeckRecording

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply pending catalog migrations (serve also does this at start).")

    @OptionGroup var common: CommonOptions

    @Flag(help: "Revert the most recently applied batch instead.")
    var revert = false

    @Flag(help: "Only show which migrations are applied.")
    var status = false

    func validate() throws {
        if revert && status { throw ValidationError("use either --revert or --status, not both") }
    }

    func run() async throws {
        try await reportingFailures {
            let settings = try await common.settings()
            let logger = LoggingSetup.bootstrap(settings)
            let catalog = try await ServiceBootstrap.openCatalog(settings, logger: logger, migrate: false)
            let migrator = CatalogMigrator(catalog.database)
            if status {
                for migration in try await migrator.status() {
                    let state = migration.batch.map { "applied (batch \($0))" } ?? "pending"
                    print("\(migration.name.padding(toLength: 32, withPad: " ", startingAt: 0)) \(state)")
                }
            } else if revert {
                let reverted = try await migrator.revertLastBatch()
                print(reverted.isEmpty ? "Nothing to revert." : "Reverted: \(reverted.joined(separator: ", "))")
            } else {
                let applied = try await migrator.apply()
                print(applied.isEmpty ? "Catalog is up to date." : "Applied: \(applied.joined(separator: ", "))")
            }
            await catalog.database.close()
        }
    }
}
