import Foundation
import SQLKit

extension SQLRow {
    func value<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(column: column, as: T.self)
    }

    func optional<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        try decodeNil(column: column) ? nil : decode(column: column, as: T.self)
    }

    func date(_ column: String) throws -> Date {
        Date(millisecondsSince1970: try value(column, as: Int64.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try optional(column, as: Int64.self).map(Date.init(millisecondsSince1970:))
    }
}

/// Thrown when a row holds a value the domain does not know (written by a newer version, or by hand).
public struct CatalogDataError: Error, CustomStringConvertible {
    public var description: String
}
