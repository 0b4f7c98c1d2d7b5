import Foundation
import TapedeckCore
import TapedeckStore

/// Stores batches of cues: live ones on the room's session (and whichever recording covers
/// them), uploaded ones on one recording. A batch is one transaction: all of it or nothing.
package struct CueIngest: Sendable {
    package let catalog: Catalog
    package let limits: CueLimits

    package init(catalog: Catalog, limits: CueLimits = CueLimits()) {
        self.catalog = catalog
        self.limits = limits
    }

    package struct Result: Sendable, Equatable {
        package var accepted: Int
        /// The recordings the cues landed on, in first-landed order.
        package var recordingIDs: [UUID]

        package init(accepted: Int, recordingIDs: [UUID]) {
            self.accepted = accepted
            self.recordingIDs = recordingIDs
        }
    }

    package enum Failure: Error, Equatable {
        /// The room has no session to attach live cues to.
        case noSession
        /// The viewer does not take part in the room's session.
        case notParticipant
        /// The cue at this index of the batch has a key another poster's cue has.
        case keyTaken(index: Int)
        /// The batch would leave its poster with more cues in the session or recording than this.
        case tooManyCues(limit: Int)
        /// The batch would leave the session or recording with more tracks than this.
        case tooManyTracks(limit: Int)
    }

    /// Whether `cues` hold a track (kind, language) that `scope` has no cue of yet.
    static func bringsTrack(_ tx: CatalogSession, _ cues: [NewCue], to scope: CueScope) async throws -> Bool {
        var seen = Set<String>()
        for cue in cues where seen.insert(cue.kind.rawValue + "\n" + cue.language).inserted {
            if try await !tx.cues.hasTrack(kind: cue.kind, language: cue.language, in: scope) { return true }
        }
        return false
    }

    /// After a batch's upserts: throws (undoing the batch) when its poster now keeps more cues in
    /// `scope` than allowed, or `scope` has more tracks. Counted only when the batch added cues,
    /// or a track, so retries and updates cost nothing more.
    func checkLimits(
        _ tx: CatalogSession, scope: CueScope, poster: CueRepository.Poster, added: Bool, newTrack: Bool
    ) async throws {
        if added || newTrack { try await tx.cues.lockLimits(of: scope) }
        if added,
            try await tx.cues.count(postedBy: poster.actor, in: scope, atMost: limits.cuesPerPoster + 1) > limits.cuesPerPoster
        {
            throw Failure.tooManyCues(limit: limits.cuesPerPoster)
        }
        if newTrack, try await tx.cues.trackCount(in: scope) > limits.tracks { throw Failure.tooManyTracks(limit: limits.tracks) }
    }

    /// How long after a session ends its late cues (a translation trailing the speaker) are
    /// still taken as live.
    package static let lateCueGrace: TimeInterval = 600

    /// The tracks the ready ones of `ids` have now, to tell which tracks a batch adds.
    static func readyTracks(_ tx: CatalogSession, _ ids: [UUID], in recordings: [Recording]) async throws -> [(UUID, [CueTrack])] {
        var result: [(UUID, [CueTrack])] = []
        for id in ids where recordings.first(where: { $0.id == id })?.status == .ready {
            result.append((id, try await tx.cues.tracks(recordingID: id)))
        }
        return result
    }

    /// Cues posted during `roomID`'s session, with wall-clock times, by `poster`; a viewer
    /// (`viewerIdentity`) must take part in that session.
    package func ingestLive(
        roomID: UUID, cues: [NewCue], poster: CueRepository.Poster, viewerIdentity: String?
    ) async throws -> Result {
        let now = catalog.clock.now()
        return try await catalog.transaction { tx in
            guard let session = try await tx.sessions.live(roomID: roomID),
                session.endedAt.map({ now.timeIntervalSince($0) <= Self.lateCueGrace }) ?? true
            else { throw Failure.noSession }
            if let viewerIdentity, try await tx.participants.role(identity: viewerIdentity, sessionID: session.id) == nil {
                throw Failure.notParticipant
            }
            // Serialises with a recording of the session becoming ready or deleted (PostgreSQL;
            // SQLite's single writer already does): cues are placed by what it is once it is.
            let recordings = try await tx.recordings.list(sessionID: session.id, locking: true)
            let placements = cues.map { CuePlacer.placement(of: $0, in: session.id, recordings: recordings) }
            var landed: [UUID] = []
            for placement in placements {
                if let id = placement.recordingID, !landed.contains(id) { landed.append(id) }
            }
            let before = try await Self.readyTracks(tx, landed, in: recordings)
            let newTrack = try await Self.bringsTrack(tx, cues, to: .session(session.id))
            var newTrackOn: [UUID] = []
            for id in landed where try await Self.bringsTrack(tx, cues, to: .recording(id)) { newTrackOn.append(id) }
            var added = false
            for (index, (cue, placement)) in zip(cues, placements).enumerated() {
                switch try await tx.cues.upsert(cue, at: placement, by: poster) {
                case .notYours: throw Failure.keyTaken(index: index)
                case .inserted: added = true
                case .updated, .keptFinal: break
                }
            }
            try await checkLimits(tx, scope: .session(session.id), poster: poster, added: added, newTrack: newTrack)
            for id in newTrackOn { try await checkLimits(tx, scope: .recording(id), poster: poster, added: false, newTrack: true) }
            // Where the lock above is not taken (SQLite), a recording that became ready meanwhile
            // gets its cues placed again, these included.
            for id in landed {
                let before = recordings.first { $0.id == id }
                if let now = try await tx.recordings.find(id: id),
                    now.status != before?.status || now.cueTimelineOrigin != before?.cueTimelineOrigin
                        || now.pauses != before?.pauses
                {
                    try await CuePlacer.place(tx, recordingID: id)
                }
            }
            for (id, tracks) in before {
                try await CuePlacer.announceNewTracks(tx, recordingID: id, before: tracks, actor: poster.actor)
            }
            return Result(accepted: cues.count, recordingIDs: landed)
        }
    }

    /// Cues for one recording: media-relative times as given; wall-clock ones placed by the
    /// recording's media start and offset (and, without either, held for its session).
    package func ingest(recording asked: Recording, cues: [NewCue], poster: CueRepository.Poster) async throws -> Result {
        try await catalog.transaction { tx in
            // Placed by the recording as it is now, its row held (PostgreSQL) so that a pause or
            // a new timeline waits for this batch and then places it again; not as it was read
            // before the transaction, which may miss a pause committed in between.
            let recording = try await tx.recordings.findLocked(id: asked.id) ?? asked
            let before = try await Self.readyTracks(tx, [recording.id], in: [recording])
            let newTrack = try await Self.bringsTrack(tx, cues, to: .recording(recording.id))
            var added = false
            var landed = false
            for (index, cue) in cues.enumerated() {
                let placement: CuePlacement
                switch cue.timing {
                case .media(let start, let end):
                    placement = CuePlacement(sessionID: nil, recordingID: recording.id, startMs: start, endMs: end)
                case .wallClock(let startAt, let endAt):
                    if let origin = recording.cueTimelineOrigin?.millisecondsSince1970 {
                        let span = CueTiming.mediaSpan(
                            wallStartMs: startAt, wallEndMs: endAt, mediaStartedAtMs: origin, offsetMs: recording.cueOffsetMs,
                            pauses: recording.pauses)
                        placement = CuePlacement(sessionID: nil, recordingID: recording.id, startMs: span.startMs, endMs: span.endMs)
                    } else {
                        placement = CuePlacement(sessionID: recording.sessionID, recordingID: recording.id, startMs: nil, endMs: nil)
                    }
                }
                switch try await tx.cues.upsert(cue, at: placement, by: poster) {
                case .notYours: throw Failure.keyTaken(index: index)
                case .inserted: added = true
                case .updated, .keptFinal: break
                }
                landed = landed || placement.recordingID != nil
            }
            try await checkLimits(tx, scope: .recording(recording.id), poster: poster, added: added, newTrack: newTrack)
            // Where the row lock is not taken (SQLite), a pause or timeline change noted meanwhile
            // gets the recording's cues placed again, these included.
            if let now = try await tx.recordings.findLocked(id: recording.id),
                now.status != recording.status || now.cueTimelineOrigin != recording.cueTimelineOrigin
                    || now.cueOffsetMs != recording.cueOffsetMs || now.pauses != recording.pauses
            {
                try await CuePlacer.place(tx, recordingID: recording.id)
            }
            for (id, tracks) in before {
                try await CuePlacer.announceNewTracks(tx, recordingID: id, before: tracks, actor: poster.actor)
            }
            return Result(accepted: cues.count, recordingIDs: landed ? [recording.id] : [])
        }
    }
}
