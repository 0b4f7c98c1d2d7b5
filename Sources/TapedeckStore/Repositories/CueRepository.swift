import Foundation
import SQLKit
import TapedeckCore

/// A cue to store: media-relative times (uploads) or wall-clock ones (posted live).
public struct NewCue: Sendable, Equatable {
    public enum Timing: Sendable, Equatable {
        /// Milliseconds on the recording's media timeline.
        case media(startMs: Int64, endMs: Int64)
        /// Epoch milliseconds, placed on a recording's media once one covers them.
        case wallClock(startAt: Int64, endAt: Int64)
    }

    public var key: String
    public var kind: CueKind
    public var language: String
    public var timing: Timing
    public var text: String
    public var speaker: String?
    public var speakerIdentity: String?
    public var source: CueSource
    public var isFinal: Bool
    public var translationOf: String?

    public init(
        key: String, kind: CueKind, language: String, timing: Timing, text: String, speaker: String? = nil,
        speakerIdentity: String? = nil, source: CueSource, isFinal: Bool = true, translationOf: String? = nil
    ) {
        self.key = key
        self.kind = kind
        self.language = language
        self.timing = timing
        self.text = text
        self.speaker = speaker
        self.speakerIdentity = speakerIdentity
        self.source = source
        self.isFinal = isFinal
        self.translationOf = translationOf
    }
}

/// Where a cue goes: on a recording (with its media times), or held on its session.
public struct CuePlacement: Sendable, Equatable {
    public var sessionID: UUID?
    public var recordingID: UUID?
    public var startMs: Int64?
    public var endMs: Int64?

    public init(sessionID: UUID?, recordingID: UUID?, startMs: Int64?, endMs: Int64?) {
        self.sessionID = sessionID
        self.recordingID = recordingID
        self.startMs = startMs
        self.endMs = endMs
    }
}

/// One track of a recording: its cues of one kind and language.
public struct CueTrack: Sendable, Equatable {
    public var kind: CueKind
    public var language: String
    /// Where most of its cues came from.
    public var source: CueSource
    public var cueCount: Int
}

/// A cue as stored, with its row id (the order cues arrived in, and a stable cursor).
public struct StoredCue: Sendable, Equatable {
    public var id: Int64
    public var recordingID: UUID?
    public var cue: Cue
}

public struct CueRepository: Sendable {
    let session: CatalogSession

    /// What happened to one cue of a batch.
    public enum UpsertOutcome: Sendable, Equatable {
        case inserted, updated
        /// A final cue is never turned back into an interim one by a late interim post.
        case keptFinal
        /// The cue with this key was posted by someone else, and this poster may not replace it.
        case notYours
    }

    /// Who posts: the audit actor, and whether it may replace cues others posted (API keys may;
    /// a participant's viewer token may not, so one student cannot rewrite the teacher's lines).
    public struct Poster: Sendable, Equatable {
        public var actor: String
        public var mayReplaceOthers: Bool

        public init(actor: String, mayReplaceOthers: Bool) {
            self.actor = actor
            self.mayReplaceOthers = mayReplaceOthers
        }
    }

    /// Stores `cue` at `placement`, or updates the cue with its key: in the same session (live
    /// cues) or on the same recording (uploads, and a live cue landing where one was uploaded).
    public func upsert(_ cue: NewCue, at placement: CuePlacement, by poster: Poster) async throws -> UpsertOutcome {
        let (startAt, endAt): (Int64?, Int64?) =
            switch cue.timing {
            case .wallClock(let start, let end): (start, end)
            case .media: (nil, nil)
            }
        let now = session.nowMs
        // Most cues are new: one statement for them. A conflict on either key falls through.
        let inserted = try await session.sql.raw(
            """
            INSERT INTO cues (session_id, recording_id, kind, language, cue_key, start_at, end_at, start_ms, end_ms, text,
                speaker, speaker_identity, source, final, translation_of, posted_by, received_at)
            VALUES (\(bind: placement.sessionID), \(bind: placement.recordingID), \(bind: cue.kind.rawValue), \(bind: cue.language),
                \(bind: cue.key), \(bind: startAt), \(bind: endAt), \(bind: placement.startMs), \(bind: placement.endMs),
                \(bind: cue.text), \(bind: cue.speaker), \(bind: cue.speakerIdentity), \(bind: cue.source.rawValue),
                \(bind: cue.isFinal), \(bind: cue.translationOf), \(bind: poster.actor), \(bind: now))
            ON CONFLICT DO NOTHING
            RETURNING id
            """
        ).all()
        if !inserted.isEmpty { return .inserted }
        var matches: [SQLQueryString] = []
        if let sessionID = placement.sessionID { matches.append("session_id = \(bind: sessionID)") }
        if let recordingID = placement.recordingID { matches.append("recording_id = \(bind: recordingID)") }
        let match: SQLQueryString =
            "(\(matches.joined(separator: " OR "))) AND kind = \(bind: cue.kind.rawValue) AND language = \(bind: cue.language) AND cue_key = \(bind: cue.key)"
        // The key may name two rows: the session's (held, or on another recording) and the one
        // on the placement's recording. The latter is the cue; the former is the same cue posted
        // earlier elsewhere, and goes, so that no unique key is broken.
        let rows = try await session.sql.raw(
            "SELECT id, recording_id, final, posted_by FROM cues WHERE \(match) ORDER BY id\(session.forUpdate)"
        ).all()
        let existing = try rows.first { try $0.optionalUUID("recording_id") == placement.recordingID && placement.recordingID != nil }
            ?? rows.first
        guard let existing else { throw CatalogDataError(description: "cue \(cue.key) conflicted with no cue") }
        let id = try existing.int64("id")
        if !poster.mayReplaceOthers, try existing.string("posted_by") != poster.actor { return .notYours }
        if try existing.bool("final"), !cue.isFinal { return .keptFinal }
        for other in rows where try other.int64("id") != id {
            if !poster.mayReplaceOthers, try other.string("posted_by") != poster.actor { return .notYours }
            try await session.sql.raw("DELETE FROM cues WHERE id = \(bind: try other.int64("id"))").run()
        }
        // A live cue's place is wherever it was placed now (held included); an upload stays on
        // its recording.
        try await session.sql.raw(
            """
            UPDATE cues SET recording_id = \(bind: placement.recordingID),
                session_id = COALESCE(\(bind: placement.sessionID), session_id),
                start_at = \(bind: startAt), end_at = \(bind: endAt), start_ms = \(bind: placement.startMs), end_ms = \(bind: placement.endMs),
                text = \(bind: cue.text), speaker = \(bind: cue.speaker), speaker_identity = \(bind: cue.speakerIdentity),
                source = \(bind: cue.source.rawValue), final = \(bind: cue.isFinal), translation_of = \(bind: cue.translationOf),
                posted_by = \(bind: poster.actor), received_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
        return .updated
    }

    /// Places the session's held cues that overlap `[from, until)` (wall-clock ms; an open end
    /// takes every later one) on `recording`, and (re)computes the media times of every
    /// wall-clock cue of it from `origin` and `offsetMs`. Safe to run again whenever either changes.
    public func place(
        recordingID: UUID, sessionID: UUID?, from origin: Int64, until end: Int64?, offsetMs: Int64,
        pauses: [PausedStretch] = []
    ) async throws {
        if let sessionID {
            // Live cues placed while the recording ran, by its provisional start, that end up
            // wholly outside its final media go back to being held for their session.
            var outside: SQLQueryString = "end_at <= \(bind: origin)"
            if let end { outside = outside + " OR start_at >= \(bind: end)" }
            try await session.sql.raw(
                """
                UPDATE cues SET recording_id = NULL, start_ms = NULL, end_ms = NULL
                WHERE recording_id = \(bind: recordingID) AND session_id = \(bind: sessionID) AND start_at IS NOT NULL
                AND (\(outside))
                """
            ).run()
            // A cue belongs to the recording it overlaps (its start is clamped to the media's).
            var condition: SQLQueryString = "session_id = \(bind: sessionID) AND recording_id IS NULL AND end_at > \(bind: origin)"
            if let end { condition = condition + " AND start_at < \(bind: end)" }
            // A cue whose key is already on the recording (uploaded there) stays held rather than
            // breaking the recording's uniqueness.
            try await session.sql.raw(
                """
                UPDATE cues SET recording_id = \(bind: recordingID) WHERE \(condition)
                AND NOT EXISTS (SELECT 1 FROM cues other WHERE other.recording_id = \(bind: recordingID)
                    AND other.kind = cues.kind AND other.language = cues.language AND other.cue_key = cues.cue_key)
                """
            ).run()
        }
        let shift = offsetMs - origin
        let start = Self.unpaused("start_at", pauses), end = Self.unpaused("end_at", pauses)
        try await session.sql.raw(
            """
            UPDATE cues SET
                start_ms = CASE WHEN \(start) + \(bind: shift) < 0 THEN 0 ELSE \(start) + \(bind: shift) END,
                end_ms = CASE WHEN \(end) + \(bind: shift) < 0 THEN 0 ELSE \(end) + \(bind: shift) END
            WHERE recording_id = \(bind: recordingID) AND start_at IS NOT NULL
            """
        ).run()
    }

    /// `column` with the paused time before it taken out, as `CueTiming.mediaMs` does: each
    /// stretch passed counts whole, one the instant lies in counts up to it (so an instant in a
    /// pause lands at the cut). `pauses` come normalized from the recording (no overlaps).
    static func unpaused(_ column: String, _ pauses: [PausedStretch]) -> SQLQueryString {
        var expression = SQLQueryString("(\(unsafeRaw: column)")
        for stretch in PausedStretches.normalized(pauses) {
            if let endMs = stretch.endMs {
                expression = expression + """
                     - CASE WHEN \(unsafeRaw: column) >= \(bind: endMs) THEN \(bind: endMs - stretch.startMs) \
                    WHEN \(unsafeRaw: column) > \(bind: stretch.startMs) THEN \(unsafeRaw: column) - \(bind: stretch.startMs) ELSE 0 END
                    """
            } else {
                expression = expression + """
                     - CASE WHEN \(unsafeRaw: column) > \(bind: stretch.startMs) THEN \(unsafeRaw: column) - \(bind: stretch.startMs) ELSE 0 END
                    """
            }
        }
        return expression + ")"
    }

    /// The recording's tracks with final cues, by kind then language.
    public func tracks(recordingID: UUID) async throws -> [CueTrack] {
        let rows = try await session.sql.raw(
            """
            SELECT kind, language, source, COUNT(*) AS n FROM cues
            WHERE recording_id = \(bind: recordingID) AND final = \(bind: true) AND start_ms IS NOT NULL
            GROUP BY kind, language, source
            """
        ).all()
        var tracks: [String: CueTrack] = [:]
        var topSource: [String: Int] = [:]
        for row in rows {
            guard let kind = CueKind(rawValue: try row.string("kind")), let source = CueSource(rawValue: try row.string("source"))
            else { continue }
            let language = try row.string("language")
            let count = try row.int("n")
            let id = kind.rawValue + "\n" + language
            var track = tracks[id] ?? CueTrack(kind: kind, language: language, source: source, cueCount: 0)
            track.cueCount += count
            if count > topSource[id, default: 0] {
                topSource[id] = count
                track.source = source
            }
            tracks[id] = track
        }
        return tracks.values.sorted {
            ($0.kind.rawValue, $0.language) < ($1.kind.rawValue, $1.language)
        }
    }

    /// Which cues a listing returns.
    public struct Filter: Sendable, Equatable {
        public var kind: CueKind?
        public var language: String?
        /// Words every returned cue contains (full-text, any order).
        public var text: String?
        /// Interim cues too (live clients following a session).
        public var includeInterim = false

        public init(kind: CueKind? = nil, language: String? = nil, text: String? = nil, includeInterim: Bool = false) {
            self.kind = kind
            self.language = language
            self.text = text
            self.includeInterim = includeInterim
        }
    }

    /// The recording's cues in playback order (start, end, key), after `cursor` (a position
    /// from ``StoredCue`` ordering), at most `limit`.
    public func list(
        recordingID: UUID, filter: Filter, after cursor: CueCursor? = nil, limit: Int
    ) async throws -> [StoredCue] {
        var conditions: [SQLQueryString] = ["c.recording_id = \(bind: recordingID)", "c.start_ms IS NOT NULL"]
        if !filter.includeInterim { conditions.append("c.final = \(bind: true)") }
        if let kind = filter.kind { conditions.append("c.kind = \(bind: kind.rawValue)") }
        if let language = filter.language { conditions.append("c.language = \(bind: language)") }
        if let text = filter.text {
            conditions.append(CueSearchSQL.matches(text, kind: session.kind, cueAlias: "c"))
        }
        if let cursor {
            conditions.append(
                "(c.start_ms > \(bind: cursor.startMs) OR (c.start_ms = \(bind: cursor.startMs) AND c.id > \(bind: cursor.id)))")
        }
        let rows = try await session.sql.raw(
            """
            SELECT c.* FROM cues c WHERE \(conditions.joined(separator: " AND "))
            ORDER BY c.start_ms, c.id LIMIT \(literal: limit)
            """
        ).all()
        return try rows.map(Self.decode)
    }

    /// One page of a track's final cues in playback order (start, then row), after `cursor`, at
    /// most `limit`: WebVTT and JSON tracks are streamed a page at a time, so a long track is
    /// never held whole. Only the columns a cue needs are read, as each column of each row costs
    /// a decode; the kind and language are the track's.
    public func trackPage(
        recordingID: UUID, kind: CueKind, language: String, after cursor: CueCursor? = nil, limit: Int
    ) async throws -> TrackPage {
        var query: SQLQueryString = """
            SELECT id, cue_key, start_ms, end_ms, text, speaker, speaker_identity, source, translation_of FROM cues
            WHERE recording_id = \(bind: recordingID) AND kind = \(bind: kind.rawValue) AND language = \(bind: language)
            AND start_ms IS NOT NULL AND final = \(bind: true)
            """
        if let cursor {
            query += " AND (start_ms > \(bind: cursor.startMs) OR (start_ms = \(bind: cursor.startMs) AND id > \(bind: cursor.id)))"
        }
        query += " ORDER BY start_ms, id LIMIT \(literal: limit)"
        func page(_ rows: [some ColumnReading]) throws -> TrackPage {
            var cues: [Cue] = []
            cues.reserveCapacity(rows.count)
            for row in rows { cues.append(try Self.decodeCue(row, kind: kind, language: language, isFinal: true)) }
            guard rows.count == limit, let last = rows.last else { return TrackPage(cues: cues, next: nil) }
            return TrackPage(cues: cues, next: CueCursor(startMs: try last.int64("start_ms"), id: try last.int64("id")))
        }
        if let rows = try await session.sqliteRows(query) { return try page(rows) }
        return try page(try await session.sql.raw(query).all().map { SQLKitColumns(row: $0) })
    }

    /// Removes one track's cues whose keys start with `keyPrefix` (the cues of a caption file,
    /// uploaded or the provider's, about to be replaced by another file).
    public func deleteTrack(recordingID: UUID, kind: CueKind, language: String, keyPrefix: String) async throws {
        // A prefix comparison, not LIKE: keys may hold % and _.
        try await session.sql.raw(
            """
            DELETE FROM cues WHERE recording_id = \(bind: recordingID) AND kind = \(bind: kind.rawValue)
            AND language = \(bind: language)
            AND substr(cue_key, 1, CAST(\(bind: keyPrefix.count) AS INTEGER)) = \(bind: keyPrefix)
            """
        ).run()
    }

    /// Removes the session's cues that no recording took (when none ever will).
    public func deleteHeld(sessionID: UUID) async throws {
        try await session.sql.raw("DELETE FROM cues WHERE session_id = \(bind: sessionID) AND recording_id IS NULL").run()
    }

    /// Removes the recording's cues (its deletion); held session cues stay with the session.
    public func deleteAll(recordingID: UUID) async throws {
        try await session.sql.raw("DELETE FROM cues WHERE recording_id = \(bind: recordingID)").run()
    }

    static func decode(_ row: any SQLRow) throws -> StoredCue {
        let rawKind = try row.string("kind")
        guard let kind = CueKind(rawValue: rawKind) else { throw CatalogDataError(description: "unknown cue kind \(rawKind)") }
        return StoredCue(
            id: try row.int64("id"), recordingID: try row.optionalUUID("recording_id"),
            cue: try decodeCue(
                SQLKitColumns(row: row), kind: kind, language: try row.string("language"), isFinal: try row.bool("final")))
    }

    /// The cue of a row holding at least its key, times, text, speaker, source and translation.
    static func decodeCue(_ row: some ColumnReading, kind: CueKind, language: String, isFinal: Bool) throws -> Cue {
        let rawSource = try row.string("source")
        guard let source = CueSource(rawValue: rawSource) else {
            throw CatalogDataError(description: "unknown cue source \(rawSource)")
        }
        let start = try row.optionalInt64("start_ms") ?? 0
        return Cue(
            key: try row.string("cue_key"), kind: kind, language: language, startMs: start,
            endMs: max(start, try row.optionalInt64("end_ms") ?? start), text: try row.string("text"),
            speaker: try row.optionalString("speaker"), speakerIdentity: try row.optionalString("speaker_identity"),
            source: source, isFinal: isFinal, translationOf: try row.optionalString("translation_of"))
    }
}

/// A page of one track's cues, and where the next one starts (`nil` after the last).
public struct TrackPage: Sendable, Equatable {
    public var cues: [Cue]
    public var next: CueCursor?
}

/// A position in a track, for keyset pages: after this start and row.
public struct CueCursor: Sendable, Equatable {
    public var startMs: Int64
    public var id: Int64

    public init(startMs: Int64, id: Int64) {
        self.startMs = startMs
        self.id = id
    }
}
