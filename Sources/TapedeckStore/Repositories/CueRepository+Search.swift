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
    /// Only what this viewer may watch.
    public var viewer: ViewerReach? = nil

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
        var cueConditions: [SQLQueryString] = [match, "c.final = \(bind: true)", "c.start_ms IS NOT NULL"]
        if let language = search.language { cueConditions.append("c.language = \(bind: language)") }
        var recordingConditions: [SQLQueryString] = ["r.status = 'ready'"]
        if let room = search.roomName {
            recordingConditions.append("r.room_id IN (SELECT id FROM rooms WHERE name = \(bind: room))")
        }
        if let organizationID = search.organizationID {
            recordingConditions.append("r.room_id IN (SELECT id FROM rooms WHERE organization_id = \(bind: organizationID))")
        }
        if let viewer = search.viewer {
            recordingConditions.append(viewer.watchable)
        }
        if let identity = search.participantIdentity {
            recordingConditions.append("r.session_id IN (SELECT session_id FROM participants WHERE identity = \(bind: identity))")
        }
        // One statement, and the text index read once: the matching cues first, on their own
        // (left to itself, PostgreSQL would read the index again for each of a viewer's
        // recordings), then those of recordings in scope, counted per recording for the page,
        // each recording of the page with its first hits.
        let rows = try await session.sql.raw(
            """
            WITH matched AS MATERIALIZED (
                SELECT c.id, c.recording_id, c.start_ms FROM cues c WHERE \(cueConditions.joined(separator: " AND "))
            ), hit AS MATERIALIZED (
                SELECT matched.id, matched.recording_id, matched.start_ms, r.created_at
                FROM matched JOIN recordings r ON r.id = matched.recording_id
                WHERE \(recordingConditions.joined(separator: " AND "))
            ), page AS (
                SELECT recording_id, COUNT(*) AS hits, MAX(created_at) AS created FROM hit
                GROUP BY recording_id
                ORDER BY hits DESC, created DESC, recording_id
                LIMIT \(literal: limit) OFFSET \(literal: offset)
            ), firsts AS (
                SELECT hit.id, page.hits, page.created,
                    row_number() OVER (PARTITION BY hit.recording_id ORDER BY hit.start_ms, hit.id) AS nth
                FROM hit JOIN page ON page.recording_id = hit.recording_id
            )
            SELECT firsts.hits AS hit_count, c.* FROM firsts JOIN cues c ON c.id = firsts.id
            WHERE firsts.nth <= \(literal: hitsPerRecording)
            ORDER BY firsts.hits DESC, firsts.created DESC, c.recording_id, c.start_ms, c.id
            """
        ).all()
        var results: [CueSearchResult] = []
        for row in rows {
            let hit = try Self.decode(row)
            guard let id = hit.recordingID else { continue }
            if results.last?.recordingID == id {
                results[results.count - 1].hits.append(hit.cue)
            } else {
                results.append(CueSearchResult(recordingID: id, hitCount: try row.int("hit_count"), hits: [hit.cue]))
            }
        }
        return results
    }
}
