import Foundation

/// Timestamps are stored as whole milliseconds since the Unix epoch.
///
/// Integers compare and index identically on SQLite and PostgreSQL, survive a round trip
/// exactly (keyset cursors compare them for equality), and need no time-zone handling.
extension Date {
    public var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    public init(millisecondsSince1970 ms: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(ms) / 1000)
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-22T09:30:00.125Z`.
    public var rfc3339: String {
        RFC3339.format(millisecondsSince1970)
    }
}

/// RFC 3339 formatting and parsing without `DateFormatter` (which is slow and not `Sendable`).
public enum RFC3339 {
    public static func format(_ milliseconds: Int64) -> String {
        var seconds = milliseconds / 1000
        var millis = milliseconds % 1000
        if millis < 0 {
            millis += 1000
            seconds -= 1
        }
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        // Digits written by hand: String(format:) is slow enough to show up in listing latency.
        var out = [UInt8](repeating: 0, count: 24)
        func put(_ value: Int, at index: Int, width: Int) {
            var v = value
            for i in stride(from: index + width - 1, through: index, by: -1) {
                out[i] = UInt8(48 + v % 10)
                v /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, width: 4)
        out[4] = 45
        put(Int(parts.tm_mon) + 1, at: 5, width: 2)
        out[7] = 45
        put(Int(parts.tm_mday), at: 8, width: 2)
        out[10] = 84
        put(Int(parts.tm_hour), at: 11, width: 2)
        out[13] = 58
        put(Int(parts.tm_min), at: 14, width: 2)
        out[16] = 58
        put(Int(parts.tm_sec), at: 17, width: 2)
        out[19] = 46
        put(Int(millis), at: 20, width: 3)
        out[23] = 90
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; also accepts a plain date `YYYY-MM-DD` (midnight UTC).
    public static func parse(_ text: String) -> Date? {
        let s = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= s.count else { return nil }
            var value = 0
            for i in start..<(start + count) {
                let c = s[i]
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard let year = digits(0, 4), s.count >= 10, s[4] == 45, let month = digits(5, 2), s[7] == 45,
            let day = digits(8, 2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0
        var milliseconds = 0
        var offsetSeconds = 0
        if s.count > 10 {
            guard s.count >= 19, s[10] == 84 || s[10] == 116 || s[10] == 32,
                let h = digits(11, 2), s[13] == 58, let m = digits(14, 2), s[16] == 58, let sec = digits(17, 2),
                h < 24, m < 60, sec < 61
            else { return nil }
            hour = h
            minute = m
            second = sec
            var i = 19
            if i < s.count, s[i] == 46 {
                i += 1
                // Whole milliseconds; finer digits are dropped.
                var scale = 100
                let start = i
                while i < s.count, s[i] >= 48, s[i] <= 57 {
                    milliseconds += Int(s[i] - 48) * scale
                    scale /= 10
                    i += 1
                }
                guard i > start else { return nil }
            }
            guard i < s.count else { return nil }
            if s[i] == 90 || s[i] == 122 {
                guard i + 1 == s.count else { return nil }
            } else if s[i] == 43 || s[i] == 45 {
                guard i + 6 == s.count, let oh = digits(i + 1, 2), s[i + 3] == 58, let om = digits(i + 4, 2),
                    oh < 24, om < 60
                else { return nil }
                offsetSeconds = (oh * 3600 + om * 60) * (s[i] == 43 ? 1 : -1)
            } else {
                return nil
            }
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        // timegm normalises impossible dates (Feb 30 → Mar 2); reject those instead.
        var check = tm()
        var e = epoch
        gmtime_r(&e, &check)
        guard check.tm_mday == Int32(day), check.tm_mon == Int32(month - 1) else { return nil }
        return Date(millisecondsSince1970: Int64(epoch - offsetSeconds) * 1000 + Int64(milliseconds))
    }
}
