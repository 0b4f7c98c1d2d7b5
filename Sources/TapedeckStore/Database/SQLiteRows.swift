import FluentSQLiteDriver
import SQLKit
import TapedeckCore

extension CatalogSession {
    /// The rows of `query` as SQLite hands them over, read on its connection's thread; `nil`
    /// when this is PostgreSQL or a transaction (read those through ``sql``).
    ///
    /// For queries that return thousands of rows: through SQLKit, each row reached the caller by
    /// a hop to the event loop and each value went through the driver's Codable decoder, which
    /// took most of the time a long track of cues took to serve.
    func sqliteRows(_ query: SQLQueryString) async throws -> [SQLiteColumns]? {
        guard let timed = sql as? TimedSQLDatabase, !timed.leased, let sqlite = timed.base as? any SQLiteDatabase else { return nil }
        let (text, binds) = sql.serialize(query)
        let encoder = SQLiteDataEncoder()  // what SQLKit would bind them as
        let values = try binds.map { try encoder.encode($0) }
        let asked = ContinuousClock.now
        return try await sqlite.withConnection { connection in
            RequestTimings.current?.add(.pool, ContinuousClock.now - asked)
            return try await RequestTimings.measureStatement { try await connection.query(text, values) }
        }.map(SQLiteColumns.init)
    }
}

/// A row SQLite handed over, read with the conversions SQLiteNIO defines.
struct SQLiteColumns: ColumnReading {
    let row: SQLiteRow

    private func value(_ column: String) throws -> SQLiteData {
        guard let value = row.column(column) else { throw CatalogDataError(description: "no column \(column) in the row") }
        return value
    }

    /// The value converted as SQLKit's decoder would for a non-optional `T`.
    private func converted<T: SQLiteDataConvertible>(_ column: String, _ data: SQLiteData) throws -> T {
        guard let value = T(sqliteData: data) else {
            throw CatalogDataError(description: "column \(column) holds \(data), not a \(T.self)")
        }
        return value
    }

    func string(_ column: String) throws -> String { try converted(column, try value(column)) }

    func optionalString(_ column: String) throws -> String? {
        let data = try value(column)
        if data == .null { return nil }
        return try converted(column, data) as String
    }

    func int64(_ column: String) throws -> Int64 { try converted(column, try value(column)) }

    func optionalInt64(_ column: String) throws -> Int64? {
        let data = try value(column)
        if data == .null { return nil }
        return try converted(column, data) as Int64
    }
}
