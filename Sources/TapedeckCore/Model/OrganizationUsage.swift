import Foundation

/// What an organization used on one UTC day, for billing and capacity planning.
public struct UsageDay: Sendable, Equatable {
    /// `YYYY-MM-DD`, UTC.
    public var date: String
    /// Length of the recordings that ended that day (failed ones excluded), in milliseconds.
    public var recordedMs: Int64 = 0
    /// Bytes of its recordings kept in storage at the end of the day.
    public var bytesStored: Int64 = 0
    /// Playback grants and share-link uses that day.
    public var views: Int = 0
    /// Recordings created that day that ended failed.
    public var failedRecordings: Int = 0

    public var hoursRecorded: Double { Double(recordedMs) / 3_600_000 }
}

/// One recording as usage counts it.
public struct UsageRecording: Sendable, Equatable {
    public var createdAt: Date
    public var endedAt: Date?
    public var durationMs: Int64?
    public var sizeBytes: Int64?
    public var failed: Bool
    /// When it was deleted (its objects leave storage), if it was.
    public var deletedAt: Date?

    public init(createdAt: Date, endedAt: Date?, durationMs: Int64?, sizeBytes: Int64?, failed: Bool, deletedAt: Date?) {
        self.createdAt = createdAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.sizeBytes = sizeBytes
        self.failed = failed
        self.deletedAt = deletedAt
    }
}

public enum OrganizationUsage {
    static let day: TimeInterval = 86_400
    public static let maximumDays = 366

    /// The first instant of the UTC day `text` (`YYYY-MM-DD`) names, or `nil`.
    public static func dayStart(_ text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let dayOfMonth = Int(parts[2]),
            (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(dayOfMonth)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: year, month: month, day: dayOfMonth)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }

    public static func dayText(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }

    /// Every day from `from` (a day's start) for `days` days, counted from the recordings and view times.
    public static func aggregate(recordings: [UsageRecording], views: [Date], from: Date, days: Int) -> [UsageDay] {
        (0..<max(0, days)).map { index in
            let start = from.addingTimeInterval(TimeInterval(index) * day)
            let end = start.addingTimeInterval(day)
            var usage = UsageDay(date: dayText(start))
            for recording in recordings {
                if let ended = recording.endedAt, ended >= start, ended < end, !recording.failed {
                    usage.recordedMs += max(0, recording.durationMs ?? 0)
                }
                if recording.failed, recording.createdAt >= start, recording.createdAt < end { usage.failedRecordings += 1 }
                if recording.createdAt < end, recording.deletedAt.map({ $0 >= end }) ?? true {
                    usage.bytesStored += max(0, recording.sizeBytes ?? 0)
                }
            }
            usage.views = views.filter { $0 >= start && $0 < end }.count
            return usage
        }
    }
}
