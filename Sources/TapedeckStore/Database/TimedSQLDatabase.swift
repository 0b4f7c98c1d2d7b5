import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit
import TapedeckCore

/// Forwards every statement to the driver and, while a request collects ``RequestTimings``,
/// records how long it waited for a connection and how long the statement took.
///
/// A statement on the pool is run as the driver runs it (lease a connection, then execute on
/// it), but in two steps, so the wait for the lease is told apart from the round trip. Inside a
/// session (a transaction) the connection is already leased: each statement is only timed.
struct TimedSQLDatabase: SQLDatabase {
    let base: any SQLDatabase
    /// The pool `base` runs on, when it is PostgreSQL's (nil inside a session).
    var postgres: PostgresClient? = nil
    /// The statements `postgres`'s connections keep prepared.
    var preparedStatements: PreparedStatements? = nil
    /// Whether `base` is one leased connection rather than the pool.
    var leased = false
    /// The collector of the request that leased it: a driver may run a session in a task of its
    /// own, where the task local is not set.
    var timings: RequestTimings? = nil
    /// The PostgreSQL connection `base` runs on, when leased: what a transaction's statements
    /// that the connection keeps prepared run on (``CatalogSession/postgresRows(_:prepared:)``).
    var connection: PostgresConnection? = nil

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        if leased, let timings = timings ?? RequestTimings.current {
            return try await timings.measureStatement { try await base.execute(sql: query, onRow) }
        }
        guard !leased, RequestTimings.current != nil else { return try await base.execute(sql: query, onRow) }
        try await withSession { connection in try await connection.execute(sql: query, onRow) }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        if leased { return try await closure(self) }
        let timings = RequestTimings.current
        let asked = ContinuousClock.now
        if let client = postgres {
            // Leased from the pool directly, as the driver would, so the session keeps the
            // connection itself for its prepared statements.
            return try await client.withConnection { connection in
                timings?.add(.pool, ContinuousClock.now - asked)
                let sql = connection.sql(queryLogLevel: base.queryLogLevel, logger: base.logger)
                return try await closure(
                    TimedSQLDatabase(
                        base: sql, preparedStatements: preparedStatements, leased: true, timings: timings, connection: connection))
            }
        }
        return try await base.withSession { connection in
            timings?.add(.pool, ContinuousClock.now - asked)
            return try await closure(TimedSQLDatabase(base: connection, leased: true, timings: timings))
        }
    }
}

extension RequestTimings {
    /// Times one statement as `db` when a request is collecting (`timings`: the request's own,
    /// for a session that runs in a task of its own).
    static func measureStatement<T>(in timings: RequestTimings? = current, _ body: () async throws -> T) async throws -> T {
        guard let timings else { return try await body() }
        return try await timings.measureStatement(body)
    }

    func measureStatement<T>(_ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer {
            add(.db, ContinuousClock.now - start)
            countStatement()
        }
        return try await body()
    }
}
