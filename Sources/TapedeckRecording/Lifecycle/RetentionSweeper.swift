import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// Deletes recordings whose retention has run out: `retain_days` of the room's policy, else of
/// the room's organization, else of the default (`TAPEDECK_RETAIN_DAYS`). Recordings on hold and recordings still in progress are never
/// touched. Deletion is the API's: the recording is marked deleted (with a `recording.deleted`
/// event) and its objects are deleted by a queued job.
///
/// Cues held on a session (posted while no recording ran) go the same way: once the session has
/// been closed for the room's `retain_days`, and no recording of it can take them any more (none
/// is in progress or ready; a ready one places them again when its cue offset changes).
///
/// A room whose stored policy cannot be read is skipped, with the reason logged and reported:
/// falling back to the default there could delete what the room's own policy keeps.
package struct RetentionSweeper: Sendable {
    package let catalog: Catalog
    package let scheduler: JobScheduler
    package let defaultPolicy: RecordingPolicy
    package let logger: Logger

    package struct Due: Sendable {
        package var recording: Recording
        package var expiredAt: Date
    }

    /// A closed session whose held cues are due.
    package struct HeldCuesDue: Sendable {
        package var session: SessionHoldingCues
        package var expiredAt: Date
    }

    /// What one pass found: the recordings due, the sessions whose held cues are due, and the
    /// rooms left alone (with why).
    package struct Pass: Sendable {
        package var due: [Due] = []
        package var heldCues: [HeldCuesDue] = []
        package var skipped: [RetentionReport.Skipped] = []
    }

    static package let batch = 500

    /// The recordings due now, oldest first, and the rooms skipped because their policy cannot be read.
    package func due() async throws -> Pass {
        let now = catalog.clock.now()
        var pass = Pass()
        var position: RecordingPosition?
        let scope = try await candidateScope(now: now)
        while true {
            let page = try await catalog.pool.recordings.retentionCandidates(
                after: position, endedBy: scope.endedBy, orInRooms: scope.unreadableRooms, limit: Self.batch)
            for candidate in page {
                let recording = candidate.recording
                let policy: RecordingPolicy
                do {
                    policy = try StoredPolicy.resolve(
                        candidate.roomPolicy, room: recording.roomName, defaults: defaults(organizationRetainDays: candidate.organizationRetainDays))
                } catch {
                    if let index = pass.skipped.firstIndex(where: { $0.room == recording.roomName }) {
                        pass.skipped[index].recordings += 1
                    } else {
                        pass.skipped.append(.init(room: recording.roomName, reason: error.description, recordings: 1))
                    }
                    continue
                }
                if Retention.isDue(
                    status: recording.status, endedAt: recording.endedAt, createdAt: recording.createdAt,
                    retainDays: policy.retainDays, onHold: recording.onHold, now: now),
                    let expiry = Retention.expiry(endedAt: recording.endedAt, createdAt: recording.createdAt, retainDays: policy.retainDays)
                {
                    pass.due.append(Due(recording: recording, expiredAt: expiry))
                }
            }
            guard page.count == Self.batch, let last = page.last?.recording else { break }
            position = RecordingPosition(createdAt: last.createdAt.millisecondsSince1970, id: last.id)
        }
        pass.heldCues = try await heldCuesDue(now: now)
        for room in pass.skipped {
            logger.error(
                "retention skips \(room.recordings) recording(s) of room \(room.room): \(room.reason)",
                metadata: ["room": "\(room.room)"])
        }
        return pass
    }

    /// Which recordings a pass must read: those that ended before the shortest retention in
    /// force (the default's, any organization's, any room's own) reached back, and every one of
    /// the rooms whose stored policy cannot be read, which are reported with all of theirs.
    /// On a catalog of a million recordings kept for a year, a pass returns and decodes what ended
    /// a year ago, not the million (PostgreSQL still walks the index once to filter them).
    func candidateScope(now: Date) async throws -> (endedBy: Date?, unreadableRooms: [UUID]) {
        var shortest = defaultPolicy.retainDays
        func consider(_ days: Int?) {
            if let days { shortest = min(shortest ?? days, days) }
        }
        consider(try await catalog.pool.organizations.shortestRetention())
        var unreadable: [UUID] = []
        for (room, organizationDays) in try await catalog.pool.rooms.storedPolicies() {
            do {
                consider(
                    try StoredPolicy.resolve(room.policyJSON, room: room.name, defaults: defaults(organizationRetainDays: organizationDays))
                        .retainDays)
            } catch {
                unreadable.append(room.id)
            }
        }
        // So many unreadable rooms that naming them would outgrow a statement: read everything.
        if unreadable.count > Self.batch { return (.distantFuture, []) }
        return (shortest.map { now.addingTimeInterval(-TimeInterval($0) * 86_400) }, unreadable)
    }

    /// The defaults a room's policy is read with: the global ones, with its organization's
    /// retention (read with the candidates, in the same statement) in place of the global retention.
    func defaults(organizationRetainDays: Int?) -> RecordingPolicy {
        var policy = defaultPolicy
        if let days = organizationRetainDays { policy.retainDays = days }
        return policy
    }

    /// The closed sessions whose held cues are due now, by the sessions' end.
    func heldCuesDue(now: Date) async throws -> [HeldCuesDue] {
        var due: [HeldCuesDue] = []
        var position: (endedAt: Int64, id: UUID)?
        while true {
            let page = try await catalog.pool.cues.closedSessionsHoldingCues(
                placeable: CuePlacer.placeable, after: position, limit: Self.batch)
            for held in page {
                let policy: RecordingPolicy
                do {
                    policy = try StoredPolicy.resolve(
                        held.roomPolicy, room: held.roomName, defaults: defaults(organizationRetainDays: held.organizationRetainDays))
                } catch {
                    logger.error(
                        "retention skips the held cues of a session of room \(held.roomName): \(error.description)",
                        metadata: ["room": "\(held.roomName)", "session_id": "\(held.sessionID.uuidString.lowercased())"])
                    continue
                }
                if let expiry = Retention.expiry(endedAt: held.endedAt, createdAt: held.endedAt, retainDays: policy.retainDays),
                    expiry <= now
                {
                    due.append(HeldCuesDue(session: held, expiredAt: expiry))
                }
            }
            guard page.count == Self.batch, let last = page.last else { break }
            position = (last.endedAt.millisecondsSince1970, last.sessionID)
        }
        return due
    }

    /// Deletes what is due; returns what was deleted and what was skipped.
    @discardableResult
    package func run() async throws -> Pass {
        let pass = try await due()
        for item in pass.due {
            _ = try await RecordingLifecycle.markDeleted(
                item.recording.id, actor: "retention",
                cause: "retention: kept until \(item.expiredAt.rfc3339)", catalog: catalog, scheduler: scheduler)
        }
        for item in pass.heldCues {
            try await catalog.pool.cues.deleteHeld(sessionID: item.session.sessionID)
            logger.info(
                "retention deleted \(item.session.heldCues) cue(s) held on a session of room \(item.session.roomName), kept until \(item.expiredAt.rfc3339)",
                metadata: ["room": "\(item.session.roomName)", "session_id": "\(item.session.sessionID.uuidString.lowercased())"])
        }
        return pass
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

    /// A room retention left alone: its stored policy cannot be read.
    public struct Skipped: Sendable, Equatable {
        public var room: String
        public var reason: String
        /// Its finished recordings, none of which was looked at.
        public var recordings: Int
    }

    /// A closed session whose held cues (posted while no recording ran) were deleted, or are due.
    public struct HeldCuesLine: Sendable {
        public var sessionID: UUID
        public var room: String
        public var endedAt: Date
        public var expiredAt: Date
        public var cues: Int
    }

    public struct Outcome: Sendable {
        /// Deleted (or, on a dry run, due).
        public var lines: [Line]
        public var heldCues: [HeldCuesLine]
        public var skipped: [Skipped]
    }

    public static func run(_ dependencies: RecordingDependencies, dryRun: Bool) async throws -> Outcome {
        let sweeper = RetentionSweeper(
            catalog: dependencies.catalog, scheduler: dependencies.scheduler, defaultPolicy: dependencies.defaultPolicy,
            logger: dependencies.logger)
        let pass = dryRun ? try await sweeper.due() : try await sweeper.run()
        var lines: [Line] = []
        for item in pass.due {
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
        let held = pass.heldCues.map {
            HeldCuesLine(
                sessionID: $0.session.sessionID, room: $0.session.roomName, endedAt: $0.session.endedAt, expiredAt: $0.expiredAt,
                cues: $0.session.heldCues)
        }
        return Outcome(lines: lines, heldCues: held, skipped: pass.skipped)
    }
}
