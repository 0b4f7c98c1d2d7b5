import Foundation

/// Writes JSON straight into bytes.
///
/// Responses are built with this rather than `JSONEncoder`: listing pages are the hot path of the
/// API and the generic encoder (dynamic casts, boxing per value) cost more than the database query.
package struct JSONWriter {
    package private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = [false]

    package init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
    }

    mutating package func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating package func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Starts a member of the current object; the next value written is its value.
    mutating package func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma[needsComma.count - 1] = false
    }

    mutating package func string(_ value: String) {
        separate()
        appendString(value)
    }

    mutating package func int<I: BinaryInteger>(_ value: I) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating package func double(_ value: Double) {
        separate()
        if value.isFinite, value.rounded() == value, abs(value) < 9e15 {
            bytes.append(contentsOf: String(Int64(value)).utf8)
        } else if value.isFinite {
            bytes.append(contentsOf: String(value).utf8)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
    }

    mutating package func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    mutating package func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    // Members: `key` + value in one call; optionals write null.
    mutating package func member(_ name: String, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    mutating package func member(_ name: String, _ value: Bool) {
        key(name)
        bool(value)
    }

    mutating package func member(_ name: String, _ value: some JSONRepresentable) {
        key(name)
        value.write(to: &self)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func appendString(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A value that can write itself as JSON.
package protocol JSONRepresentable: Sendable {
    func write(to json: inout JSONWriter)
}

extension String: JSONRepresentable {
    package func write(to json: inout JSONWriter) { json.string(self) }
}

extension Int: JSONRepresentable {
    package func write(to json: inout JSONWriter) { json.int(self) }
}

extension Int64: JSONRepresentable {
    package func write(to json: inout JSONWriter) { json.int(self) }
}

extension Bool: JSONRepresentable {
    package func write(to json: inout JSONWriter) { json.bool(self) }
}

extension Optional: JSONRepresentable where Wrapped: JSONRepresentable {
    package func write(to json: inout JSONWriter) {
        if let value = self { value.write(to: &json) } else { json.null() }
    }
}

extension Array: JSONRepresentable where Element: JSONRepresentable {
    package func write(to json: inout JSONWriter) {
        json.array { json in
            for element in self { element.write(to: &json) }
        }
    }
}

extension Dictionary: JSONRepresentable where Key == String, Value: JSONRepresentable {
    /// Keys sorted, so output is stable.
    package func write(to json: inout JSONWriter) {
        json.object { json in
            for key in keys.sorted() { json.member(key, self[key]!) }
        }
    }
}
