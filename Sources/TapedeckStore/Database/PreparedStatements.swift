import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import TapedeckCore

/// Statements each pooled PostgreSQL connection keeps parsed and planned, for the listings.
///
/// An unnamed statement is parsed and planned on every execution; a listing's (a page, its
/// room resolved by LATERAL, its assets joined) took 0.3–0.5 ms to plan at a million
/// recordings, as long as running it. A prepared one is parsed once and, after PostgreSQL's
/// first five executions, runs a cached generic plan. That is only right for statements whose
/// bound values all pick rows alike (a room's name, a position in the order): the caller says so.
///
/// Each connection prepares at most ``perConnection`` (``PreparedStatementTable``). A
/// statement PostgreSQL no longer accepts as prepared is run unnamed, then and from then on, so
/// a prepared statement is never the reason a listing fails; one that failed otherwise fails
/// as it would unnamed (and, if that was its first run there, runs unnamed there from then on).
final class PreparedStatements: Sendable {
    static let perConnection = 32
    private let table = Mutex(PreparedStatementTable(capacity: perConnection))
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// The rows of `sql` as a prepared statement on `connection`; nil when it is to run unnamed
    /// (no room left on the connection, or PostgreSQL refused it as prepared). `inTransaction`:
    /// a refusal is thrown instead, as it aborted the transaction; the statement runs unnamed on
    /// that connection from then on, so the same transaction tried again there succeeds.
    func rows(
        _ sql: String, _ bindings: PostgresBindings, on connection: PostgresConnection, inTransaction: Bool = false
    ) async throws -> [PostgresRow]? {
        let id = connection.id
        let firstRun: Bool
        switch table.withLock({ $0.admit(sql, on: id) }) {
        case .unnamed:
            return nil
        case .prepared(let newConnection, let first):
            firstRun = first
            if newConnection {
                connection.closeFuture.whenComplete { [weak self] _ in self?.table.withLock { $0.closed(id) } }
            }
        }
        let statement = ComposedStatement(bindings: bindings)
        do {
            return try await ComposedStatement.$composed.withValue((Self.name(of: sql), sql)) {
                var rows: [PostgresRow] = []
                for try await row in try await connection.execute(statement, logger: logger) {
                    rows.append(row)
                }
                return rows
            }
        } catch let error as PSQLError where error.code == .server {
            let refused = Self.isRefusedStatement(error)
            // After a failed first run the connection runs this one unnamed from now on:
            // PostgresNIO answers a name whose preparation failed with that failure for as long
            // as the connection lives. A later failure (a timeout, a deadlock) leaves it prepared.
            if refused || firstRun { table.withLock { $0.refused(sql, on: id) } }
            if refused && !inTransaction { return nil }
            throw error
        }
    }

    /// The statement's name on every connection: its SQL's digest (128 of SHA-256's bits, 32 hex
    /// digits: PostgreSQL keeps 63 bytes of a name).
    static func name(of sql: String) -> String {
        "tapedeck_" + RandomToken.sha256Hex(sql).prefix(32)
    }

    /// What PostgreSQL answers for a prepared statement it will not run as prepared: 26000,
    /// no such statement; 0A000, "cached plan must not change result type"; 42P05, the name is
    /// taken (a pooler in transaction mode handed over a server connection that holds it).
    static func isRefusedStatement(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "26000" || state == "0A000" || state == "42P05"
    }

    /// How many statements `connection` prepared (for tests).
    func count(on connection: PostgresConnection.ID) -> Int { table.withLock { $0.count(on: connection) } }

    /// How many connections hold any (for tests).
    var connectionCount: Int { table.withLock { $0.connectionCount } }

    /// How many statements all connections hold (for tests).
    var total: Int { table.withLock { $0.total } }
}

/// A statement composed at run time, as PostgresNIO's prepared statement.
///
/// PostgresNIO's prepared statements are types whose name and SQL are static properties; a
/// listing's SQL is composed per request (its filters). So one type stands for them all, and
/// its name and SQL are read from the task that executes it: `PostgresConnection.execute(_:logger:)`
/// reads both in the calling task, before it hands the statement to the connection.
private struct ComposedStatement: PostgresPreparedStatement {
    typealias Row = PostgresRow

    @TaskLocal static var composed: (name: String, sql: String) = ("", "")

    static var name: String { composed.name }
    static var sql: String { composed.sql }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}
