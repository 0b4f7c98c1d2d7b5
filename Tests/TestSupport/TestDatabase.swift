import Foundation
import Logging
import SQLKit
import TapedeckCore
import TapedeckStore

/// A database the catalog suites run against: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set.
public enum TestDatabase: Sendable, CustomStringConvertible {
    case sqlite
    case postgres(String)

    /// Every database available to this test run.
    public static var all: [TestDatabase] {
        var databases: [TestDatabase] = [.sqlite]
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            databases.append(.postgres(url))
        }
        return databases
    }

    /// PostgreSQL only (empty when `TEST_DATABASE_URL` is not set).
    public static var postgresOnly: [TestDatabase] {
        all.filter { if case .postgres = $0 { true } else { false } }
    }

    public var description: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}

public enum TestLogger {
    public static func make(_ label: String = "test") -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        return logger
    }
}

/// A throwaway database: a private in-memory or temporary-file SQLite, or a new PostgreSQL
/// database created for the test and dropped afterwards.
public struct ScratchDatabase: Sendable {
    public let location: DatabaseLocation
    /// `DATABASE_URL` for a child process using the same database.
    public let url: String
    let cleanup: @Sendable () async -> Void

    /// - Parameter shareable: a file (not in-memory) SQLite database, so other processes can open it.
    public static func create(_ database: TestDatabase, shareable: Bool = false) async throws -> ScratchDatabase {
        switch database {
        case .sqlite:
            if !shareable {
                return ScratchDatabase(location: .sqlite(path: ":memory:"), url: "sqlite::memory:", cleanup: {})
            }
            let directory = try TemporaryDirectory.create()
            let path = directory.path + "/catalog.sqlite"
            return ScratchDatabase(location: .sqlite(path: path), url: "sqlite://" + path, cleanup: { directory.remove() })
        case .postgres(let adminURL):
            guard case .postgres(var target) = try DatabaseLocation.parse(adminURL) else {
                fatalError("TEST_DATABASE_URL is not a postgres URL")
            }
            let name = "tapedeck_t_" + RandomToken.base62(length: 12).lowercased()
            let admin = try CatalogDatabase.open(.postgres(target), maxConnections: 1, logger: TestLogger.make())
            try await admin.sql.raw("CREATE DATABASE \(ident: name)").run()
            await admin.close()
            target.database = name
            let base = adminURL.split(separator: "?", maxSplits: 1)
            var components = URLComponents(string: String(base[0]))!
            components.path = "/" + name
            let url = components.string! + (base.count > 1 ? "?" + base[1] : "")
            let targetCopy = target
            return ScratchDatabase(
                location: .postgres(targetCopy), url: url,
                cleanup: {
                    guard case .postgres(var adminTarget) = try? DatabaseLocation.parse(adminURL) else { return }
                    adminTarget.tls = targetCopy.tls
                    guard let admin = try? CatalogDatabase.open(.postgres(adminTarget), maxConnections: 1, logger: TestLogger.make())
                    else { return }
                    try? await admin.sql.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
                    await admin.close()
                })
        }
    }

    public func drop() async {
        await cleanup()
    }
}

/// Opens a migrated catalog on a scratch database, runs `body`, and cleans up whatever happens.
public func withTestCatalog<T>(
    _ database: TestDatabase, clock: any Clock = ManualClock(), shareable: Bool = false,
    _ body: (Catalog, ScratchDatabase) async throws -> T
) async throws -> T {
    let scratch = try await ScratchDatabase.create(database, shareable: shareable)
    let db: CatalogDatabase
    do {
        db = try CatalogDatabase.open(scratch.location, logger: TestLogger.make())
        try await db.configureSession()
        try await CatalogMigrator(db).apply()
    } catch {
        await scratch.drop()
        throw error
    }
    let catalog = Catalog(database: db, clock: clock)
    do {
        let result = try await body(catalog, scratch)
        await db.close()
        await scratch.drop()
        return result
    } catch {
        await db.close()
        await scratch.drop()
        throw error
    }
}

public func withTestCatalog<T>(
    _ database: TestDatabase, clock: any Clock = ManualClock(), _ body: (Catalog) async throws -> T
) async throws -> T {
    try await withTestCatalog(database, clock: clock, shareable: false) { catalog, _ in try await body(catalog) }
}
