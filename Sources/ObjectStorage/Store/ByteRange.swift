/// A requested byte range, as in an HTTP `Range: bytes=...` header.
public enum ByteRange: Sendable, Equatable {
    /// `bytes=first-last`
    case bounded(first: Int64, last: Int64)
    /// `bytes=first-`
    case from(Int64)
    /// `bytes=-count`: the last `count` bytes.
    case suffix(Int64)

    /// The inclusive range within an object of `size` bytes, or `nil` when none of it exists
    /// (answer 416). A last byte past the end is clipped, as RFC 9110 requires.
    public func resolve(size: Int64) -> ClosedRange<Int64>? {
        switch self {
        case .bounded(let first, let last):
            guard first <= last, first < size else { return nil }
            return first...min(last, size - 1)
        case .from(let first):
            guard first < size else { return nil }
            return first...(size - 1)
        case .suffix(let count):
            guard count > 0, size > 0 else { return nil }
            return max(0, size - count)...(size - 1)
        }
    }

    /// Parses one range of a `Range` header. Multiple ranges are not supported: `nil`
    /// (the caller then serves the whole object, which RFC 9110 allows).
    public static func parse(header: String) -> ByteRange? {
        // Byte-level: this runs on every media request.
        var bytes = Array(header.utf8)[...]
        while bytes.first == 0x20 || bytes.first == 0x09 { bytes.removeFirst() }
        while bytes.last == 0x20 || bytes.last == 0x09 { bytes.removeLast() }
        let unit = Array("bytes=".utf8)
        guard bytes.count > unit.count, zip(bytes.prefix(unit.count), unit).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) else {
            return nil
        }
        let spec = bytes.dropFirst(unit.count)
        guard !spec.contains(0x2C), let dash = spec.firstIndex(of: 0x2D) else { return nil }
        func number(_ digits: ArraySlice<UInt8>) -> Int64?? {
            var trimmed = digits
            while trimmed.first == 0x20 { trimmed.removeFirst() }
            while trimmed.last == 0x20 { trimmed.removeLast() }
            if trimmed.isEmpty { return .some(nil) }
            guard trimmed.count <= 18 else { return nil }
            var value: Int64 = 0
            for digit in trimmed {
                guard digit >= 0x30, digit <= 0x39 else { return nil }
                value = value * 10 + Int64(digit - 0x30)
            }
            return .some(value)
        }
        guard let first = number(spec[..<dash]), let last = number(spec[spec.index(after: dash)...]) else { return nil }
        switch (first, last) {
        case (nil, let count?): return .suffix(count)
        case (let start?, nil): return .from(start)
        case (let start?, let end?): return start <= end ? .bounded(first: start, last: end) : nil
        case (nil, nil): return nil
        }
    }
}
