import Foundation
import TapedeckCore
import TapedeckStore

/// Deletes recordings whose retention has run out: `retain_days` of the room's policy, or of the
/// default (`TAPEDECK_RETAIN_DAYS`). Recordings on hold and recordings still in progress are never
/// touched. Deletion is the API's: the recording is marked deleted (with a `recording.deleted`
/// event) and its objects are deleted by a queued job.
struct RetentionSweeper: Sendable {
    let catalog: Catalog
    let scheduler: JobScheduler
    let defaultPolicy: RecordingPolicy

    struct Due: Sendable {
        var recording: Recording
        var expiredAt: Date
    }

    static let batch = 500

    /// The recordings due now, oldest first.
    func due() async throws -> [Due] {
        let now = catalog.clock.now()
        var found: [Due] = []
        var position: RecordingPosition?
        while true {
            let page = try await catalog.pool.recordings.retentionCandidates(after: position, limit: Self.batch)
            for (recording, policyJSON) in page {
                let policy = policyJSON.flatMap { try? RecordingPolicy.decode(Data($0.utf8), defaults: defaultPolicy) } ?? defaultPolicy
                if Retention.isDue(
                    status: recording.status, endedAt: recording.endedAt, createdAt: recording.createdAt,
                    retainDays: policy.retainDays, onHold: recording.onHold, now: now),
                    let expiry = Retention.expiry(endedAt: recording.endedAt, createdAt: recording.createdAt, retainDays: policy.retainDays)
                {
                    found.append(Due(recording: recording, expiredAt: expiry))
                }
            }
            guard page.count == Self.batch, let last = page.last?.0 else { return found }
            position = RecordingPosition(createdAt: last.createdAt.millisecondsSince1970, id: last.id)
        }
    }

    /// Deletes what is due; returns what was deleted.
    @discardableResult
    func run() async throws -> [Due] {
        let due = try await due()
        for item in due {
            _ = try await RecordingsController.markDeleted(
                item.recording.id, actor: "retention",
                cause: "retention: kept until \(item.expiredAt.rfc3339)", catalog: catalog, scheduler: scheduler)
        }
        return due
    }
}

/// `tapedeck retention`: what retention would delete now (or deletes it), for the command line.
public enum RetentionReport {
    public struct Line: Sendable {
        public var id: UUID
        public var room: String
        public var endedAt: Date
        public var expiredAt: Date
        public var sizeBytes: Int64
    }

    public static func run(_ dependencies: AppDependencies, dryRun: Bool) async throws -> [Line] {
        let sweeper = RetentionSweeper(
            catalog: dependencies.catalog, scheduler: dependencies.scheduler, defaultPolicy: dependencies.defaultPolicy)
        let due = dryRun ? try await sweeper.due() : try await sweeper.run()
        var lines: [Line] = []
        for item in due {
            let recording = item.recording
            var size = recording.sizeBytes
            if size == nil {
                size = try await dependencies.catalog.pool.assets.list(recordingID: recording.id).compactMap(\.sizeBytes).reduce(0, +)
            }
            lines.append(
                Line(
                    id: recording.id, room: recording.roomName, endedAt: recording.endedAt ?? recording.createdAt,
                    expiredAt: item.expiredAt, sizeBytes: size ?? 0))
        }
        return lines
    }
}
