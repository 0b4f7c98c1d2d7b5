import Foundation
import Logging
import PostgresNIO
import SQLKit
import TapedeckCore

extension CatalogSession {
    /// The rows of `query` as PostgreSQL hands them over, read with PostgresNIO's own decoders;
    /// `nil` when this is SQLite or a query with a value it cannot bind (read those through
    /// ``sql``). In a transaction it runs on the transaction's connection.
    ///
    /// For the listings: through SQLKit, each value of each row went through the driver's Codable
    /// translation and two lookups of its column by name, which was the largest share of a
    /// listing's own CPU (more than writing its JSON), and of its tail.
    ///
    /// `prepared`: run as a statement the connection keeps parsed and planned
    /// (``PreparedStatements``), for a statement whose bound values all pick rows alike, so the
    /// plan PostgreSQL settles on for one value is the plan for any.
    func postgresRows(_ query: SQLQueryString, prepared: Bool = false) async throws -> [PostgresColumns]? {
        // On SQLite, nothing to serialize twice: the caller reads through ``sql``.
        guard let timed = sql as? TimedSQLDatabase, timed.connection != nil || (!timed.leased && timed.postgres != nil)
        else { return nil }
        let (text, binds) = sql.serialize(query)
        guard let bindings = PostgresBindings(sqlKitBinds: binds) else { return nil }
        let statements = prepared ? timed.preparedStatements : nil
        if let connection = timed.connection {
            return try await RequestTimings.measureStatement(in: timed.timings ?? RequestTimings.current) {
                try await Self.rows(text, bindings, on: connection, prepared: statements, inTransaction: true, logger: timed.logger)
            }
        }
        guard let client = timed.postgres else { return nil }
        let asked = ContinuousClock.now
        return try await client.withConnection { connection in
            RequestTimings.current?.add(.pool, ContinuousClock.now - asked)
            return try await RequestTimings.measureStatement {
                try await Self.rows(text, bindings, on: connection, prepared: statements, inTransaction: false, logger: timed.logger)
            }
        }
    }

    private static func rows(
        _ text: String, _ bindings: PostgresBindings, on connection: PostgresConnection, prepared statements: PreparedStatements?,
        inTransaction: Bool, logger: Logger
    ) async throws -> [PostgresColumns] {
        if let statements, let rows = try await statements.rows(text, bindings, on: connection, inTransaction: inTransaction) {
            return rows.map { PostgresColumns(row: $0.makeRandomAccess()) }
        }
        var rows: [PostgresColumns] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: text, binds: bindings), logger: logger) {
            rows.append(PostgresColumns(row: row.makeRandomAccess()))
        }
        return rows
    }
}

extension PostgresBindings {
    /// The values SQLKit collected, bound as PostgresKit binds them (text, int8, bool, uuid,
    /// float8, NULL); nil for any other type, which the caller then leaves to SQLKit.
    init?(sqlKitBinds binds: [any Encodable & Sendable]) {
        self.init(capacity: binds.count)
        for bind in binds {
            switch bind {
            case let value as any OptionalBind where value.isNone: appendNull()
            case let value as String: append(value)
            case let value as Int64: append(value)
            case let value as Int: append(value)
            case let value as Bool: append(value)
            case let value as UUID: append(value)
            case let value as Double: append(value)
            default: return nil
            }
        }
    }
}

/// An optional bind, to tell NULL apart (a `.some` casts to its wrapped type).
private protocol OptionalBind {
    var isNone: Bool { get }
}

extension Optional: OptionalBind {
    var isNone: Bool { self == nil }
}

/// A row PostgreSQL handed over, read with PostgresNIO's conversions.
struct PostgresColumns: RowColumns {
    let row: PostgresRandomAccessRow

    private func cell(_ column: String) throws -> PostgresCell {
        guard row.contains(column) else { throw CatalogDataError(description: "no column \(column) in the row") }
        return row[column]
    }

    private func value<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T {
        try cell(column).decode(T.self, context: .default)
    }

    private func optional<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T? {
        let cell = try cell(column)
        return cell.bytes == nil ? nil : try cell.decode(T.self, context: .default)
    }

    func contains(column: String) -> Bool { row.contains(column) }
    func string(_ column: String) throws -> String { try value(column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try optional(column, as: String.self) }
    func int64(_ column: String) throws -> Int64 { try value(column, as: Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try optional(column, as: Int64.self) }
    func int(_ column: String) throws -> Int { try value(column, as: Int.self) }
    func bool(_ column: String) throws -> Bool { try value(column, as: Bool.self) }
    func uuid(_ column: String) throws -> UUID { try value(column, as: UUID.self) }
    func optionalUUID(_ column: String) throws -> UUID? { try optional(column, as: UUID.self) }
}

extension CatalogSession {
    /// The rows of a statement every webhook runs (its de-duplication, its room, session and
    /// participant): on PostgreSQL as a statement the connection keeps prepared, since planning
    /// such a statement costs PostgreSQL about as much as running it; through SQLKit on SQLite.
    /// Only for statements whose bound values all pick rows alike, and that name their columns
    /// (a prepared `*` fails once the table gains a column).
    func frequentRows(_ query: SQLQueryString) async throws -> [any RowColumns] {
        if let rows = try await postgresRows(query, prepared: true) { return rows }
        return try await sql.raw(query).all().map { SQLKitColumns(row: $0) }
    }
}
