import Foundation
import SQLKit
import TapedeckCore

/// Recordings whose files still live only at the provider, by how long ago they ended. A provider
/// that deletes its copies after some days (100ms) is watched with these.
extension RecordingRepository {
    /// Records when the recorder stopped, unless it is already known.
    public func noteEnded(_ id: UUID, at ended: Date) async throws {
        try await session.sql.raw(
            "UPDATE recordings SET ended_at = \(bind: ended.millisecondsSince1970) WHERE id = \(bind: id) AND ended_at IS NULL"
        ).run()
    }

    /// How many recordings of `provider` ended before `cutoff` and are still not ready, failed or deleted.
    public func uncopiedCount(provider: String, endedBefore cutoff: Date) async throws -> Int {
        let row = try await session.sql.raw(
            "SELECT COUNT(*) AS n FROM recordings r WHERE " + Self.uncopied(provider: provider, endedBefore: cutoff)
        ).first()
        return try row?.int("n") ?? 0
    }

    /// Those recordings, oldest first, leaving out the ones that already have an event of
    /// `eventType`, each with the time it ended.
    public func uncopied(
        provider: String, endedBefore cutoff: Date, withoutEvent eventType: String, limit: Int
    ) async throws -> [(recording: Recording, endedAt: Date)] {
        try await session.sql.raw(
            Self.selectList + ", " + Self.endedColumn + " AS uncopied_since FROM recordings r WHERE "
                + Self.uncopied(provider: provider, endedBefore: cutoff)
                + """
                 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.recording_id = r.id AND e.type = \(bind: eventType))
                ORDER BY uncopied_since, r.id LIMIT \(literal: limit)
                """
        ).all().map { (try Self.decode($0), try $0.date("uncopied_since")) }
    }

    /// When the recording ended: as its provider confirmed it, else when its session closed (a
    /// recorder never outlives its room, and the provider may be the very thing not answering).
    private static let endedColumn: SQLQueryString =
        "COALESCE(r.ended_at, (SELECT ended_at FROM sessions WHERE id = r.session_id))"

    private static func uncopied(provider: String, endedBefore cutoff: Date) -> SQLQueryString {
        let waiting = RecordingStatus.allCases.filter { !$0.isFinal }.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return "r.provider = \(bind: provider) AND r.status IN (\(unsafeRaw: waiting)) AND " + endedColumn
            + " < \(bind: cutoff.millisecondsSince1970)"
    }
}
