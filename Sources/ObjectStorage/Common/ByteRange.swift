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
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = trimmed.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let firstText = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let lastText = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        func number(_ s: String) -> Int64? {
            guard !s.isEmpty, s.utf8.count <= 18, s.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int64(s)
        }
        switch (firstText.isEmpty, lastText.isEmpty) {
        case (true, false):
            return number(lastText).map(ByteRange.suffix)
        case (false, true):
            return number(firstText).map(ByteRange.from)
        case (false, false):
            guard let first = number(firstText), let last = number(lastText), first <= last else { return nil }
            return .bounded(first: first, last: last)
        case (true, true):
            return nil
        }
    }
}
