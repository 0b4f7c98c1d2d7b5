import Foundation

/// Human-readable session keys: `{room}_{YYYY-MM-DD_HH-MM-SS}` (UTC).
public enum SessionKey {
    public static func make(room: String, startedAt: Date) -> String {
        var t = time_t(startedAt.millisecondsSince1970 / 1000)
        var parts = tm()
        gmtime_r(&t, &parts)
        let stamp = String(
            format: "%04d-%02d-%02d_%02d-%02d-%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        return "\(room)_\(stamp)"
    }
}
