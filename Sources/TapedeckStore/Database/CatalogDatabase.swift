import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit

/// The catalog's database: a connection pool (FluentKit) and the SQL interface used by repositories.
///
/// SQLite gets exactly one connection, so every write in the process is serialised
/// ("single writer") and transactions never fight over locks; PostgreSQL gets a pool.
public final class CatalogDatabase: Sendable {
    public let kind: DatabaseKind
    public let location: DatabaseLocation
    let databases: Databases
    let logger: Logger
    /// PostgreSQL's pool, which Fluent is handed and the listings read rows from directly
    /// (``CatalogSession/postgresRows(_:)``); it runs until ``close()``.
    let postgres: PostgresClient?
    /// The listings' statements its connections keep prepared (PostgreSQL only).
    let preparedStatements: PreparedStatements?
    private let postgresRun: Task<Void, Never>?

    private init(
        kind: DatabaseKind, location: DatabaseLocation, databases: Databases, logger: Logger, postgres: PostgresClient? = nil,
        preparedStatements: Bool = false
    ) {
        self.kind = kind
        self.location = location
        self.databases = databases
        self.logger = logger
        self.postgres = postgres
        self.preparedStatements = postgres != nil && preparedStatements ? PreparedStatements(logger: logger) : nil
        self.postgresRun = postgres.map { client in Task.detached { await client.run() } }
    }

    /// Opens a pool. Nothing is connected until the first query. `preparedStatements`: on
    /// PostgreSQL, whether listings run as prepared statements (``PreparedStatements``).
    public static func open(
        _ location: DatabaseLocation, maxConnections: Int = 16, preparedStatements: Bool = true, logger: Logger
    ) throws -> CatalogDatabase {
        let group = MultiThreadedEventLoopGroup.singleton
        switch location {
        case .sqlite(let path):
            // One event loop → one connection in FluentSQLite's pool.
            let databases = Databases(threadPool: NIOThreadPool.singleton, on: group.next())
            let storage: SQLiteConfiguration.Storage =
                path == ":memory:" ? .memory(identifier: UUID().uuidString) : .file(path: path)
            if path != ":memory:" {
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            databases.use(
                .sqlite(
                    SQLiteConfiguration(storage: storage, enableForeignKeys: true),
                    connectionPoolTimeout: .seconds(30), sqlLogLevel: .trace),
                as: .sqlite)
            return CatalogDatabase(kind: .sqlite, location: location, databases: databases, logger: logger)
        case .postgres(let url):
            let databases = Databases(threadPool: NIOThreadPool.singleton, on: group)
            let tls: PostgresClient.Configuration.TLS
            switch url.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(.makeClientConfiguration())
            case .require: tls = .require(.makeClientConfiguration())
            }
            var configuration = PostgresClient.Configuration(
                host: url.host, port: url.port, username: url.username, password: url.password,
                database: url.database, tls: tls)
            configuration.options.maximumConnections = maxConnections
            configuration.options.minimumConnections = 0
            // The pool's own log, errors only (the client Fluent made had none): at start it
            // warns, harmlessly, of a first lease asked for before `run()` was under way.
            var background = logger
            background.logLevel = .error
            let client = PostgresClient(configuration: configuration, eventLoopGroup: group, backgroundLogger: background)
            databases.use(.postgres(client: client, sqlLogLevel: .trace, logger: logger), as: .psql)
            return CatalogDatabase(
                kind: .postgres, location: location, databases: databases, logger: logger, postgres: client,
                preparedStatements: preparedStatements)
        }
    }

    /// Fluent's view, used by the migrator.
    var fluent: any Database {
        databases.database(logger: logger, on: databases.eventLoopGroup.any())!
    }

    /// The SQL interface repositories query through; it times statements for `Server-Timing`.
    public var sql: any SQLDatabase {
        TimedSQLDatabase(base: fluent as! any SQLDatabase, postgres: postgres, preparedStatements: preparedStatements)
    }

    /// How long a SQLite statement waits for another process's write lock (a `serve` beside a
    /// `tapedeck keys create`, say) before it fails with "database is locked".
    public static let sqliteBusyTimeoutMs = 5000

    /// Prepares the connection for this process: WAL lets readers in other processes
    /// (a CLI command, a second worker) proceed while this one writes, and the busy timeout
    /// makes a writer wait, sleeping, for another's lock: the driver's own handler retries
    /// without pause and without end, a spinning core and a command that never returns.
    public func configureSession() async throws {
        guard kind == .sqlite, location != .sqlite(path: ":memory:") else { return }
        try await sql.raw("PRAGMA busy_timeout = \(unsafeRaw: String(Self.sqliteBusyTimeoutMs))").run()
        try await sql.raw("PRAGMA journal_mode=WAL").run()
        try await sql.raw("PRAGMA synchronous=NORMAL").run()
    }

    /// Runs `body` in one transaction on one connection; rolls back if it throws.
    ///
    /// On SQLite the transaction takes the write lock up front (`BEGIN IMMEDIATE`), so two
    /// processes cannot both read and then deadlock on upgrading to write.
    public func transaction<T: Sendable>(
        _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let begin: SQLQueryString = kind == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN"
        return try await sql.withSession { connection in
            try await connection.raw(begin).run()
            do {
                let result = try await body(connection)
                try await connection.raw("COMMIT").run()
                return result
            } catch {
                // Shielded from cancellation: the connection must not go back to the pool mid-transaction.
                await Task { try? await connection.raw("ROLLBACK").run() }.value
                throw error
            }
        }
    }

    /// `SELECT 1`: is the database reachable?
    public func ping() async throws {
        _ = try await sql.raw("SELECT 1 AS one").first()
    }

    public func close() async {
        await databases.shutdownAsync()
        // Cancelling `run()` closes the pool's connections.
        postgresRun?.cancel()
        await postgresRun?.value
    }
}
