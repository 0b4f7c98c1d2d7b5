import FluentKit
import Logging
import SQLKit

/// Applies, reverts and reports the catalog migrations.
public struct CatalogMigrator: Sendable {
    let database: CatalogDatabase
    /// Every catalog migration; the first few only where a test prepares the data a later one meets.
    let migrations: [any Migration]

    public init(_ database: CatalogDatabase) {
        self.init(database, migrations: CatalogMigrations.all)
    }

    init(_ database: CatalogDatabase, migrations: [any Migration]) {
        self.database = database
        self.migrations = migrations
    }

    /// One migration and, when applied, the batch it was applied in.
    public struct Status: Sendable, Equatable {
        public var name: String
        public var batch: Int?
        public var isApplied: Bool { batch != nil }
    }

    private func migrator() -> Migrator {
        let migrations = Migrations()
        migrations.add(self.migrations)
        let databases = database.databases
        let logger = database.logger
        let eventLoop = databases.eventLoopGroup.any()
        return Migrator(
            databases: databases, migrations: migrations, logger: logger, on: eventLoop, migrationLogLevel: .debug)
    }

    /// Applies every pending migration as one batch; returns their names.
    @discardableResult
    public func apply() async throws -> [String] {
        let migrator = migrator()
        try await migrator.setupIfNeeded().get()
        let pending = try await migrator.previewPrepareBatch().get().map { $0.0.name }
        try await migrator.prepareBatch().get()
        return pending
    }

    /// Reverts the most recently applied batch; returns the names reverted.
    @discardableResult
    public func revertLastBatch() async throws -> [String] {
        let migrator = migrator()
        try await migrator.setupIfNeeded().get()
        let reverting = try await migrator.previewRevertLastBatch().get().map { $0.0.name }
        try await migrator.revertLastBatch().get()
        return reverting
    }

    public func status() async throws -> [Status] {
        try await migrator().setupIfNeeded().get()
        let rows = try await database.sql.raw("SELECT name, batch FROM _fluent_migrations").all()
        var applied: [String: Int] = [:]
        for row in rows {
            applied[try row.decode(column: "name", as: String.self)] = try row.decode(column: "batch", as: Int.self)
        }
        return CatalogMigrations.names.map { Status(name: $0, batch: applied[$0]) }
    }
}
