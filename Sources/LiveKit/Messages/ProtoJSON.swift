import Foundation

/// A protobuf JSON object read leniently, as both LiveKit encodings appear in practice:
/// webhooks use lowerCamel names and omit zero values; Twirp responses use snake_case names and
/// include them. int64 values may be strings or numbers; enums names or numbers; unknown fields
/// are ignored.
///
/// `@unchecked Sendable`: it only holds what `JSONSerialization` produced and never mutates it.
public struct ProtoJSON: @unchecked Sendable {
    private let object: [String: Any]

    public init(_ object: [String: Any]) {
        self.object = object
    }

    public init?(data: Data) {
        guard let value = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        self.object = value
    }

    /// The value under the proto field name or its lowerCamel JSON name.
    public func raw(_ field: String) -> Any? {
        if let value = object[field], !(value is NSNull) { return value }
        let camel = Self.lowerCamel(field)
        if camel != field, let value = object[camel], !(value is NSNull) { return value }
        return nil
    }

    public func string(_ field: String) -> String? { raw(field) as? String }

    public func int64(_ field: String) -> Int64? {
        switch raw(field) {
        case let text as String: Int64(text)
        case let number as NSNumber: number.int64Value
        default: nil
        }
    }

    public func bool(_ field: String) -> Bool {
        (raw(field) as? NSNumber)?.boolValue ?? (raw(field) as? Bool) ?? false
    }

    public func object(_ field: String) -> ProtoJSON? {
        (raw(field) as? [String: Any]).map(ProtoJSON.init)
    }

    public func objects(_ field: String) -> [ProtoJSON] {
        ((raw(field) as? [Any]) ?? []).compactMap { ($0 as? [String: Any]).map(ProtoJSON.init) }
    }

    public func stringMap(_ field: String) -> [String: String] {
        (raw(field) as? [String: Any])?.compactMapValues { $0 as? String } ?? [:]
    }

    /// An enum by name (with or without the type prefix) or number; `names[i]` is value i.
    public func enumValue(_ field: String, names: [String], prefix: String = "") -> Int? {
        switch raw(field) {
        case let number as NSNumber where !(number is Bool):
            return number.intValue
        case let text as String:
            if let index = names.firstIndex(of: text) { return index }
            if text.hasPrefix(prefix), let index = names.firstIndex(of: String(text.dropFirst(prefix.count))) { return index }
            return Int(text)
        default:
            return nil
        }
    }

    /// Field names are ASCII identifiers of this module; one without an underscore is its own
    /// lowerCamel name. Over bytes: every field read of every webhook comes through here.
    static func lowerCamel(_ snake: String) -> String {
        guard snake.utf8.contains(UInt8(ascii: "_")) else { return snake }
        var out = [UInt8]()
        out.reserveCapacity(snake.utf8.count)
        var upper = false
        for byte in snake.utf8 {
            if byte == UInt8(ascii: "_") {
                upper = true
                continue
            }
            out.append(upper && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte)
            upper = false
        }
        return String(decoding: out, as: UTF8.self)
    }
}
