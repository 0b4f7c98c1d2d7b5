import Foundation
import Logging
import SQLKit
import Synchronization
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

    /// PostgreSQL only (empty when `TEST_DATABASE_URL` is not set: give such a test the
    /// `.requiresPostgres` trait, so that it is reported as skipped rather than passing empty).
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
    /// Whether the catalog migrations are already applied (a clone of the migrated template).
    let isMigrated: Bool
    let cleanup: @Sendable () async -> Void

    /// An empty database (no migrations applied).
    /// - Parameter shareable: a file (not in-memory) SQLite database, so other processes can open it.
    public static func create(_ database: TestDatabase, shareable: Bool = false) async throws -> ScratchDatabase {
        try await create(database, shareable: shareable, migrated: false)
    }

    /// On PostgreSQL, `migrated` clones the process's migrated template instead of creating an
    /// empty database; SQLite databases always start empty.
    static func create(_ database: TestDatabase, shareable: Bool, migrated: Bool) async throws -> ScratchDatabase {
        switch database {
        case .sqlite:
            if !shareable {
                return ScratchDatabase(location: .sqlite(path: ":memory:"), url: "sqlite::memory:", isMigrated: false, cleanup: {})
            }
            let directory = try TemporaryDirectory.create()
            let path = directory.path + "/catalog.sqlite"
            return ScratchDatabase(
                location: .sqlite(path: path), url: "sqlite://" + path, isMigrated: false, cleanup: { directory.remove() })
        case .postgres(let adminURL):
            guard case .postgres(var target) = try DatabaseLocation.parse(adminURL) else {
                fatalError("TEST_DATABASE_URL is not a postgres URL")
            }
            let server = PostgresTestServer.shared
            let name = "tapedeck_t_" + RandomToken.base62(length: 12).lowercased()
            if migrated {
                try await server.clone(adminURL: adminURL, admin: target, into: name)
            } else {
                try await server.createEmpty(adminURL: adminURL, admin: target, name: name)
            }
            target.database = name
            let base = adminURL.split(separator: "?", maxSplits: 1)
            var components = URLComponents(string: String(base[0]))!
            components.path = "/" + name
            let url = components.string! + (base.count > 1 ? "?" + base[1] : "")
            return ScratchDatabase(
                location: .postgres(target), url: url, isMigrated: migrated,
                cleanup: { await server.drop(adminURL: adminURL, name: name) })
        }
    }

    public func drop() async {
        await cleanup()
    }
}

/// The PostgreSQL server of `TEST_DATABASE_URL` as the tests use it: one admin pool on the URL's
/// own database, and one migrated template database per test process, cloned for every test
/// (`CREATE DATABASE … TEMPLATE …`), which is much cheaper than migrating each database.
///
/// The template is made on first use and dropped when the process exits. Its name carries its
/// creation time, so a run that could not drop its template (killed, say) leaves one that a
/// later run drops once it is an hour old.
actor PostgresTestServer {
    static let shared = PostgresTestServer()

    static let templatePrefix = "tapedeck_tpl_"
    static let staleTemplateAge: TimeInterval = 3600

    /// Admin pools, by admin URL (one in practice: `TEST_DATABASE_URL`).
    private var admins: [String: CatalogDatabase] = [:]
    /// Migrated templates, by admin URL.
    private var templates: [String: String] = [:]
    /// The last operation queued on `serially`.
    private var tail: Task<Void, Never>?

    /// Templates to drop when the process exits: the admin location and the template's name.
    static let madeTemplates = Mutex<[(DatabaseLocation.PostgresURL, String)]>([])

    private func admin(_ adminURL: String, _ target: DatabaseLocation.PostgresURL) throws -> CatalogDatabase {
        if let admin = admins[adminURL] { return admin }
        // Clones go one at a time; the other connections serve empty databases and drops.
        let admin = try CatalogDatabase.open(.postgres(target), maxConnections: 4, logger: TestLogger.make())
        admins[adminURL] = admin
        return admin
    }

    /// Runs `operation` after every operation queued before it has finished. (An actor alone does
    /// not serialise async work: it admits other calls at each suspension.)
    private func serially<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tail
        let task = Task {
            await previous?.value
            return try await operation()
        }
        tail = Task { _ = try? await task.value }
        return try await task.value
    }

    /// A new database `name`, a copy of the migrated template (made first if need be).
    func clone(adminURL: String, admin target: DatabaseLocation.PostgresURL, into name: String) async throws {
        let admin = try admin(adminURL, target)
        // Serialised: PostgreSQL refuses to copy a template while another session is connected
        // to it, and the template is made, with its own connection, by the first clone.
        try await serially {
            let template = try await self.template(adminURL, admin: admin, target: target)
            try await admin.sql.raw("CREATE DATABASE \(ident: name) TEMPLATE \(ident: template)").run()
        }
    }

    func createEmpty(adminURL: String, admin target: DatabaseLocation.PostgresURL, name: String) async throws {
        try await admin(adminURL, target).sql.raw("CREATE DATABASE \(ident: name)").run()
    }

    func drop(adminURL: String, name: String) async {
        guard let admin = admins[adminURL] else { return }
        try? await admin.sql.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
    }

    /// The migrated template of this process; only called through `serially`.
    private func template(
        _ adminURL: String, admin: CatalogDatabase, target: DatabaseLocation.PostgresURL
    ) async throws -> String {
        if let template = templates[adminURL] { return template }
        await Self.dropStaleTemplates(admin)
        let name = Self.templatePrefix + "\(Int(Date().timeIntervalSince1970))_" + RandomToken.base62(length: 8).lowercased()
        try await admin.sql.raw("CREATE DATABASE \(ident: name)").run()
        do {
            var location = target
            location.database = name
            let database = try CatalogDatabase.open(.postgres(location), maxConnections: 1, logger: TestLogger.make())
            do {
                try await CatalogMigrator(database).apply()
            } catch {
                await database.close()
                throw error
            }
            await database.close()
            try await Self.waitUntilUnused(name, admin: admin)
        } catch {
            try? await admin.sql.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
            throw error
        }
        templates[adminURL] = name
        Self.dropTemplatesAtExit(target, name)
        return name
    }

    /// Waits for the migrating connection's server process to end (closing the pool does not
    /// wait for it), ending it after a few seconds.
    static func waitUntilUnused(_ database: String, admin: CatalogDatabase) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let row = try await admin.sql.raw(
                "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = \(bind: database)"
            ).first()
            if try row?.decode(column: "n", as: Int.self) == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await admin.sql.raw(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(bind: database) AND pid <> pg_backend_pid()"
        ).run()
    }

    /// Drops the templates of earlier runs that are more than an hour old.
    static func dropStaleTemplates(_ admin: CatalogDatabase) async {
        guard
            let rows = try? await admin.sql.raw(
                "SELECT datname FROM pg_database WHERE starts_with(datname, \(bind: templatePrefix))"
            ).all()
        else { return }
        let now = Date().timeIntervalSince1970
        for row in rows {
            guard let name = try? row.decode(column: "datname", as: String.self),
                let created = name.dropFirst(templatePrefix.count).split(separator: "_").first.flatMap({ TimeInterval($0) }),
                now - created > staleTemplateAge
            else { continue }
            try? await admin.sql.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
        }
    }

    /// Registers the template to be dropped when the process exits (at most ten seconds spent).
    static func dropTemplatesAtExit(_ admin: DatabaseLocation.PostgresURL, _ name: String) {
        let first = madeTemplates.withLock { made in
            made.append((admin, name))
            return made.count == 1
        }
        guard first else { return }
        atexit {
            let made = PostgresTestServer.madeTemplates.withLock { $0 }
            let done = DispatchSemaphore(value: 0)
            Task.detached {
                for (target, name) in made {
                    guard let admin = try? CatalogDatabase.open(.postgres(target), maxConnections: 1, logger: TestLogger.make())
                    else { continue }
                    try? await admin.sql.raw("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)").run()
                    await admin.close()
                }
                done.signal()
            }
            _ = done.wait(timeout: .now() + 10)
        }
    }
}

/// Opens a migrated catalog on a scratch database, runs `body`, and cleans up whatever happens.
public func withTestCatalog<T>(
    _ database: TestDatabase, clock: any Clock = ManualClock(), shareable: Bool = false,
    _ body: (Catalog, ScratchDatabase) async throws -> T
) async throws -> T {
    let scratch = try await ScratchDatabase.create(database, shareable: shareable, migrated: true)
    let db: CatalogDatabase
    do {
        db = try CatalogDatabase.open(scratch.location, logger: TestLogger.make())
    } catch {
        await scratch.drop()
        throw error
    }
    do {
        try await db.configureSession()
        if !scratch.isMigrated {
            try await CatalogMigrator(db).apply()
        }
    } catch {
        await db.close()
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
