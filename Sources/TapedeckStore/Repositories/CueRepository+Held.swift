import Foundation
import SQLKit
import TapedeckCore

/// A closed session still holding cues that no recording took, with its room's stored policy.
public struct SessionHoldingCues: Sendable, Equatable {
    public var sessionID: UUID
    public var roomID: UUID
    public var roomName: String
    public var endedAt: Date
    /// The room's stored policy as JSON (`nil`: the defaults apply).
    public var roomPolicy: String?
    public var heldCues: Int
    /// The room's organization's `retain_days`, which replaces the global default.
    public var organizationRetainDays: Int?
}

extension CueRepository {
    /// Closed sessions whose held cues no recording can take any more (none of theirs has one of
    /// `placeable`), by end then id, after `position`, at most `limit`.
    public func closedSessionsHoldingCues(
        placeable: Set<RecordingStatus>, after position: (endedAt: Int64, id: UUID)?, limit: Int
    ) async throws -> [SessionHoldingCues] {
        var query: SQLQueryString = """
            SELECT s.id, s.ended_at, s.room_id, rm.name AS room_name, rm.policy_json AS room_policy,
                (SELECT o.retain_days FROM organizations o WHERE o.id = rm.organization_id) AS organization_retain_days,
                (SELECT COUNT(*) FROM cues c WHERE c.session_id = s.id AND c.recording_id IS NULL) AS held
            FROM sessions s JOIN rooms rm ON rm.id = s.room_id
            WHERE s.ended_at IS NOT NULL
            AND EXISTS (SELECT 1 FROM cues c WHERE c.session_id = s.id AND c.recording_id IS NULL)
            """
        if !placeable.isEmpty {
            let statuses = placeable.map { "'\($0.rawValue)'" }.sorted().joined(separator: ", ")
            query += " AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.id AND r.status IN (\(unsafeRaw: statuses)))"
        }
        if let position {
            query += " AND (s.ended_at, s.id) > (\(bind: position.endedAt), \(bind: position.id))"
        }
        query += " ORDER BY s.ended_at, s.id LIMIT \(literal: limit)"
        return try await session.sql.raw(query).all().map { row in
            SessionHoldingCues(
                sessionID: try row.uuid("id"), roomID: try row.uuid("room_id"), roomName: try row.string("room_name"), endedAt: try row.date("ended_at"),
                roomPolicy: try row.optionalString("room_policy"), heldCues: try row.int("held"),
                organizationRetainDays: try row.optionalInt64("organization_retain_days").map(Int.init))
        }
    }
}
