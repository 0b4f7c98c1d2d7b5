import Foundation

/// Human-readable session keys: `{room}_{YYYY-MM-DD_HH-MM-SS}` (UTC).
public enum SessionKey {
    public static func make(room: String, startedAt: Date) -> String {
        // The date and time of the RFC 3339 form (`2026-01-01T00:00:00.000Z`), with separators
        // that are safe in object keys and file names.
        let stamp = RFC3339.format(startedAt.millisecondsSince1970).prefix(19)
            .map { $0 == "T" ? "_" : $0 == ":" ? "-" : $0 }
        return "\(room)_\(String(stamp))"
    }
}
