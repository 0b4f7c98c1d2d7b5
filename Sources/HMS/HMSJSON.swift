import Foundation

/// A JSON value exactly as sent. Decoded with `JSONDecoder` rather than `JSONSerialization`,
/// which on Linux drops a U+FEFF at the start of a string value.
public enum HMSJSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits 64 bits.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([HMSJSONValue])
    case object([String: HMSJSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([HMSJSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: HMSJSONValue].self))
        }
    }
}

/// A JSON object from 100ms read leniently: unknown fields are ignored, `null` is the same as
/// absent, numbers may arrive as numeric strings (and numeric strings as numbers), timestamps are
/// RFC 3339 with any number of fractional digits, and a field of the wrong type reads as absent.
public struct HMSJSON: Sendable, Equatable {
    public let fields: [String: HMSJSONValue]

    public init(_ fields: [String: HMSJSONValue]) {
        self.fields = fields
    }

    /// `nil` unless `data` is a JSON object.
    public init?(data: Data) {
        guard case .object(let fields)? = try? JSONDecoder().decode(HMSJSONValue.self, from: data) else { return nil }
        self.fields = fields
    }

    /// The value under the first of `names` that is present and not `null`.
    public func raw(_ names: String...) -> HMSJSONValue? { raw(names) }

    func raw(_ names: [String]) -> HMSJSONValue? {
        for name in names {
            if let value = fields[name], value != .null { return value }
        }
        return nil
    }

    /// A string; numbers are not turned into strings (ids and paths are always strings).
    public func string(_ names: String...) -> String? {
        guard case .string(let text)? = raw(names) else { return nil }
        return text
    }

    /// An integer from a number (fractions truncated) or a numeric string.
    public func int64(_ names: String...) -> Int64? { int64(names) }

    func int64(_ names: [String]) -> Int64? {
        switch raw(names) {
        case .integer(let value)?:
            return value
        case .number(let value)?:
            return Self.truncated(value)
        case .string(let text)?:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let value = Int64(trimmed) { return value }
            return Self.finiteDouble(trimmed).flatMap(Self.truncated)
        default:
            return nil
        }
    }

    public func int(_ names: String...) -> Int? {
        int64(names).flatMap { Int(exactly: $0) }
    }

    /// A number from a number or a numeric string.
    public func double(_ names: String...) -> Double? {
        switch raw(names) {
        case .integer(let value)?: Double(value)
        case .number(let value)?: value.isFinite ? value : nil
        case .string(let text)?: Self.finiteDouble(text.trimmingCharacters(in: .whitespaces))
        default: nil
        }
    }

    /// `true`/`false`, or the strings `"true"`/`"false"`.
    public func bool(_ names: String...) -> Bool? {
        switch raw(names) {
        case .bool(let value)?: value
        case .string("true")?: true
        case .string("false")?: false
        default: nil
        }
    }

    /// An RFC 3339 timestamp; `nil` when absent or not one.
    public func date(_ names: String...) -> Date? {
        guard case .string(let text)? = raw(names) else { return nil }
        return HMSTimestamp.parse(text)
    }

    public func object(_ names: String...) -> HMSJSON? {
        guard case .object(let fields)? = raw(names) else { return nil }
        return HMSJSON(fields)
    }

    /// The objects of an array (other elements skipped); `nil` when absent, `null` or not an array.
    public func objects(_ names: String...) -> [HMSJSON]? {
        guard case .array(let values)? = raw(names) else { return nil }
        return values.compactMap { value in
            guard case .object(let fields) = value else { return nil }
            return HMSJSON(fields)
        }
    }

    /// The strings of an array (other elements skipped); a single string is a one-element array.
    public func strings(_ names: String...) -> [String]? {
        switch raw(names) {
        case .array(let values)?:
            values.compactMap { value in
                guard case .string(let text) = value else { return nil }
                return text
            }
        case .string(let text)?: [text]
        default: nil
        }
    }

    private static func truncated(_ value: Double) -> Int64? {
        guard value.isFinite, value > -9.2e18, value < 9.2e18 else { return nil }
        return Int64(value.rounded(.towardZero))
    }

    private static func finiteDouble(_ text: String) -> Double? {
        // Only plain decimal notation: no "nan", "inf", hex floats.
        guard !text.isEmpty, text.allSatisfy({ "0123456789+-.eE".contains($0) }), let value = Double(text), value.isFinite
        else { return nil }
        return value
    }
}

/// RFC 3339 timestamps as 100ms writes them: `2024-03-05T05:14:04.007990308Z`,
/// `...T06:53:03.67Z`, `...T12:58:49Z`, or with a numeric offset.
public enum HMSTimestamp {
    /// The moment `text` names, keeping the fraction to the precision a `Date` holds (well under
    /// a microsecond); `nil` unless it is a valid RFC 3339 date-time.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        var index = 0

        func digits(_ count: Int) -> Int? {
            guard index + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + count)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard index < bytes.count, characters.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }

        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
            expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"), let second = digits(2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour <= 23, minute <= 59,
            second <= 60
        else { return nil }

        var nanoseconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var count = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                // Digits past the ninth are below a nanosecond: read and drop them.
                if count < 9 { nanoseconds = nanoseconds * 10 + Int(bytes[index] - 0x30) }
                count += 1
                index += 1
            }
            guard count > 0, count <= 18 else { return nil }
            if count < 9 {
                for _ in count..<9 { nanoseconds *= 10 }
            }
        }

        var offset = 0
        guard index < bytes.count else { return nil }
        if expect("Zz") {
            offset = 0
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let offsetHours = digits(2), expect(":"), let offsetMinutes = digits(2), offsetHours <= 23,
                offsetMinutes <= 59
            else { return nil }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset)
        // Relative to 2001 the whole seconds are smaller, so the fraction keeps more bits.
        let sinceReference = Double(seconds - 978_307_200) + Double(nanoseconds) / 1_000_000_000
        return Date(timeIntervalSinceReferenceDate: sinceReference)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
