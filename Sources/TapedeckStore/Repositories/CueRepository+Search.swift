import Foundation
import SQLKit
import TapedeckCore

/// Which recordings a search looks in.
public struct CueSearch: Sendable, Equatable {
    public var text: String
    public var roomName: String?
    public var language: String?
    /// Only recordings of sessions this identity took part in (a viewer's search).
    public var participantIdentity: String?
    /// Only recordings of this organization's rooms (an organization's key).
    public var organizationID: UUID? = nil

    public init(text: String, roomName: String? = nil, language: String? = nil, participantIdentity: String? = nil) {
        self.text = text
        self.roomName = roomName
        self.language = language
        self.participantIdentity = participantIdentity
    }
}

/// One recording a search found, with its best hits.
public struct CueSearchResult: Sendable, Equatable {
    public var recordingID: UUID
    public var hitCount: Int
    public var hits: [Cue]
}

extension CueRepository {
    /// Ready recordings with final cues matching every word, most hits first (then newest), a
    /// page at `offset`; each with its first `hitsPerRecording` hits in playback order.
    public func search(_ search: CueSearch, offset: Int, limit: Int, hitsPerRecording: Int = 5) async throws -> [CueSearchResult] {
        let match = CueSearchSQL.matches(search.text, kind: session.kind, cueAlias: "c", language: search.language)
        var conditions: [SQLQueryString] = [
            match, "c.final = \(bind: true)", "c.start_ms IS NOT NULL", "r.status = 'ready'",
        ]
        if let language = search.language { conditions.append("c.language = \(bind: language)") }
        if let room = search.roomName {
            conditions.append("r.room_id IN (SELECT id FROM rooms WHERE name = \(bind: room))")
        }
        if let organizationID = search.organizationID {
            conditions.append("r.room_id IN (SELECT id FROM rooms WHERE organization_id = \(bind: organizationID))")
        }
        if let identity = search.participantIdentity {
            conditions.append("r.session_id IN (SELECT session_id FROM participants WHERE identity = \(bind: identity))")
        }
        let rows = try await session.sql.raw(
            """
            SELECT c.recording_id AS recording_id, COUNT(*) AS hits, MAX(r.created_at) AS created
            FROM cues c JOIN recordings r ON r.id = c.recording_id
            WHERE \(conditions.joined(separator: " AND "))
            GROUP BY c.recording_id
            ORDER BY hits DESC, created DESC, c.recording_id
            LIMIT \(literal: limit) OFFSET \(literal: offset)
            """
        ).all()
        var results: [CueSearchResult] = []
        for row in rows {
            let id = try row.uuid("recording_id")
            var hitConditions: [SQLQueryString] = [
                "c.recording_id = \(bind: id)", match, "c.final = \(bind: true)", "c.start_ms IS NOT NULL",
            ]
            if let language = search.language { hitConditions.append("c.language = \(bind: language)") }
            let hits = try await session.sql.raw(
                """
                SELECT c.* FROM cues c WHERE \(hitConditions.joined(separator: " AND "))
                ORDER BY c.start_ms, c.id LIMIT \(literal: hitsPerRecording)
                """
            ).all().map { try Self.decode($0).cue }
            results.append(CueSearchResult(recordingID: id, hitCount: try row.int("hits"), hits: hits))
        }
        return results
    }
}
