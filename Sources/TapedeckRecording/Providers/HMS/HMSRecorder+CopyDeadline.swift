import Foundation
import TapedeckCore
import TapedeckStore

/// 100ms deletes a recording's files 15 days after it made them. Tapedeck copies them in minutes
/// after 100ms confirms them, retrying what fails; a recording still not copied a day after it
/// ended has met something retries do not heal (a copy that keeps failing, 100ms not answering),
/// and an operator still has two weeks to act. Such recordings are counted in `/metrics` and
/// written once each to the recording's events.
extension HMSRecorder {
    static package let copyDeadline: TimeInterval = 86_400
    static package let copyOverdueEvent = "recording.copy_overdue"

    /// 100ms recordings that ended more than a day ago and are not yet ready, failed or deleted.
    package func uncopiedOverADay() async throws -> Int {
        try await catalog.pool.recordings.uncopiedCount(
            provider: Self.provider, endedBefore: catalog.clock.now().addingTimeInterval(-Self.copyDeadline))
    }

    /// Writes `recording.copy_overdue` for each such recording that has none yet (a page of them
    /// per sweep; the next sweep takes the next page).
    package func alertOverdueCopies() async throws {
        let now = catalog.clock.now()
        let overdue = try await catalog.pool.recordings.uncopied(
            provider: Self.provider, endedBefore: now.addingTimeInterval(-Self.copyDeadline), withoutEvent: Self.copyOverdueEvent,
            limit: 100)
        for (recording, ended) in overdue {
            let hours = Int(now.timeIntervalSince(ended) / 3600)
            let event = NewAuditEvent(
                recordingID: recording.id, sessionID: recording.sessionID, type: Self.copyOverdueEvent, actor: "reconciler",
                data: ["ended_at": ended.rfc3339, "status": recording.status.rawValue, "hours_since_end": "\(hours)"])
            guard try await catalog.transaction({ tx in try await tx.events.appendOnce(event) }) else { continue }
            logger.warning(
                "100ms recording not copied a day after it ended; 100ms deletes its files 15 days after the recording",
                metadata: ["recording": "\(recording.id)", "status": "\(recording.status.rawValue)", "ended_at": "\(ended.rfc3339)"])
        }
    }
}
