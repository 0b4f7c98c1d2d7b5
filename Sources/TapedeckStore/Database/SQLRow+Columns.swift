import Foundation
import SQLKit

/// Typed column reads.
///
/// Concrete, non-generic functions on purpose: rows arrive as `any SQLRow`, so a generic helper
/// is not specialised and each call pays for runtime metadata of `Optional<T>`, which showed up
/// as a large share of listing latency.
///
/// An optional column is read as "NULL, or else the value": the drivers convert a `T` directly,
/// while a `T?` goes through their Codable path, a decoder allocated per value, several times
/// the cost.
extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? {
        try isNull(column) ? nil : decode(column: column, as: String.self)
    }
    func int64(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? {
        try isNull(column) ? nil : decode(column: column, as: Int64.self)
    }
    func int(_ column: String) throws -> Int { try decode(column: column, as: Int.self) }
    func bool(_ column: String) throws -> Bool { try decode(column: column, as: Bool.self) }
    func uuid(_ column: String) throws -> UUID { try decode(column: column, as: UUID.self) }
    func optionalUUID(_ column: String) throws -> UUID? {
        try isNull(column) ? nil : decode(column: column, as: UUID.self)
    }

    /// Whether the column is NULL; a column the row does not have is an error, as for a value.
    private func isNull(_ column: String) throws -> Bool {
        guard try decodeNil(column: column) else { return false }
        guard contains(column: column) else { throw CatalogDataError(description: "no column \(column) in the row") }
        return true
    }

    func date(_ column: String) throws -> Date {
        Date(millisecondsSince1970: try int64(column))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try optionalInt64(column).map(Date.init(millisecondsSince1970:))
    }
}

/// The reads a decoder shared by several queries needs, over a SQLKit row or a row SQLite
/// handed over directly (``CatalogSession/sqliteRows(_:)``).
protocol ColumnReading {
    func string(_ column: String) throws -> String
    func optionalString(_ column: String) throws -> String?
    func int64(_ column: String) throws -> Int64
    func optionalInt64(_ column: String) throws -> Int64?
}

/// Every read the decoders of recordings and assets need, over a SQLKit row or a row
/// PostgreSQL handed over directly (``CatalogSession/postgresRows(_:)``).
protocol RowColumns: ColumnReading {
    func contains(column: String) -> Bool
    func int(_ column: String) throws -> Int
    func bool(_ column: String) throws -> Bool
    func uuid(_ column: String) throws -> UUID
    func optionalUUID(_ column: String) throws -> UUID?
}

extension RowColumns {
    func date(_ column: String) throws -> Date {
        Date(millisecondsSince1970: try int64(column))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try optionalInt64(column).map(Date.init(millisecondsSince1970:))
    }
}

struct SQLKitColumns: RowColumns {
    let row: any SQLRow

    func contains(column: String) -> Bool { row.contains(column: column) }
    func string(_ column: String) throws -> String { try row.string(column) }
    func optionalString(_ column: String) throws -> String? { try row.optionalString(column) }
    func int64(_ column: String) throws -> Int64 { try row.int64(column) }
    func optionalInt64(_ column: String) throws -> Int64? { try row.optionalInt64(column) }
    func int(_ column: String) throws -> Int { try row.int(column) }
    func bool(_ column: String) throws -> Bool { try row.bool(column) }
    func uuid(_ column: String) throws -> UUID { try row.uuid(column) }
    func optionalUUID(_ column: String) throws -> UUID? { try row.optionalUUID(column) }
}

/// The columns of a row that carry a prefix, read by their plain names: a joined table's
/// (`asset_id` read as `id` by the assets' decoder).
struct PrefixedColumns<Base: RowColumns>: RowColumns {
    let base: Base
    let prefix: String

    func contains(column: String) -> Bool { base.contains(column: prefix + column) }
    func string(_ column: String) throws -> String { try base.string(prefix + column) }
    func optionalString(_ column: String) throws -> String? { try base.optionalString(prefix + column) }
    func int64(_ column: String) throws -> Int64 { try base.int64(prefix + column) }
    func optionalInt64(_ column: String) throws -> Int64? { try base.optionalInt64(prefix + column) }
    func int(_ column: String) throws -> Int { try base.int(prefix + column) }
    func bool(_ column: String) throws -> Bool { try base.bool(prefix + column) }
    func uuid(_ column: String) throws -> UUID { try base.uuid(prefix + column) }
    func optionalUUID(_ column: String) throws -> UUID? { try base.optionalUUID(prefix + column) }
}

/// Thrown when a row holds a value the domain does not know (written by a newer version, or by hand).
public struct CatalogDataError: Error, CustomStringConvertible {
    public var description: String
}
