import Foundation
import SQLKit
import TapedeckCore

/// Where a limit on cues is counted: a session's cues (live ones, wherever they landed), or a
/// recording's.
public enum CueScope: Sendable, Equatable {
    case session(UUID)
    case recording(UUID)

    var condition: SQLQueryString {
        switch self {
        case .session(let id): "session_id = \(bind: id)"
        case .recording(let id): "recording_id = \(bind: id)"
        }
    }
}

extension CueRepository {
    /// How many cues `actor` posted in `scope`, counted up to `atMost` (enough to tell whether a
    /// limit is passed, and bounded in cost whatever the poster holds).
    public func count(postedBy actor: String, in scope: CueScope, atMost: Int) async throws -> Int {
        try await session.sql.raw(
            """
            SELECT COUNT(*) AS n FROM (SELECT 1 FROM cues WHERE \(scope.condition) AND posted_by = \(bind: actor)
                LIMIT \(literal: atMost)) capped
            """
        ).first()?.int("n") ?? 0
    }

    /// Whether `scope` holds a cue of the track (kind, language).
    public func hasTrack(kind: CueKind, language: String, in scope: CueScope) async throws -> Bool {
        try await session.sql.raw(
            "SELECT 1 AS found FROM cues WHERE \(scope.condition) AND kind = \(bind: kind.rawValue) AND language = \(bind: language) LIMIT 1"
        ).first() != nil
    }

    /// Holds the limits of `scope` until the transaction ends, so two batches or caption files
    /// counted at once cannot both take the last free track or cue. On PostgreSQL each
    /// transaction's counts see only what is committed (READ COMMITTED), so without this both
    /// would count the limit and both commit; a transaction-level advisory lock serialises the
    /// counts, and the second, counting after the first commits, sees its rows. It takes no row
    /// lock, so it cannot deadlock with the `FOR SHARE` a live batch holds on recordings. SQLite
    /// transactions are serial already (`BEGIN IMMEDIATE`).
    public func lockLimits(of scope: CueScope) async throws {
        guard session.kind == .postgres else { return }
        let key: String
        switch scope {
        case .session(let id): key = "cue-limits:session:" + id.uuidString
        case .recording(let id): key = "cue-limits:recording:" + id.uuidString
        }
        try await session.sql.raw("SELECT pg_advisory_xact_lock(hashtextextended(\(bind: key), 0))::text AS locked").run()
    }

    /// How many tracks (kind, language) `scope` holds, final or not.
    public func trackCount(in scope: CueScope) async throws -> Int {
        try await session.sql.raw(
            "SELECT COUNT(*) AS n FROM (SELECT DISTINCT kind, language FROM cues WHERE \(scope.condition)) tracks"
        ).first()?.int("n") ?? 0
    }
}
