import Foundation

/// When a finished recording is due for deletion: `retain_days` after it ended (or was created,
/// if it never ended), unless it is on hold or its policy keeps recordings forever.
public enum Retention {
    /// Statuses retention may delete: finished ones. Active recordings are never touched.
    public static let deletable: [RecordingStatus] = [.ready, .failed, .aborted]

    public static func expiry(endedAt: Date?, createdAt: Date, retainDays: Int?) -> Date? {
        guard let retainDays else { return nil }
        return (endedAt ?? createdAt).addingTimeInterval(TimeInterval(retainDays) * 86_400)
    }

    public static func isDue(
        status: RecordingStatus, endedAt: Date?, createdAt: Date, retainDays: Int?, onHold: Bool, now: Date
    ) -> Bool {
        guard deletable.contains(status), !onHold,
            let expiry = expiry(endedAt: endedAt, createdAt: createdAt, retainDays: retainDays)
        else { return false }
        return expiry <= now
    }
}
