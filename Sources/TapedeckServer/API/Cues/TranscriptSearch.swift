import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// A search of the recordings' transcripts, as the API and the pages run it: every word, in the
/// recordings the searcher may watch (all of their scope for an admin key, for a viewer what
/// ``RecordingAccess`` lets them watch), best first, a page at a time.
struct TranscriptSearch: Sendable {
    let catalog: Catalog

    /// What to find, checked as the API checks it.
    struct Query: Sendable {
        var text: String
        var room: String?
        var language: String?

        /// `q`, `room` and `language` as a request gives them (absent is not the same as empty).
        init(q: String?, room: String?, language: String?) throws {
            guard let q, !q.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIError.invalid("q", "q (the words to find) is required", code: "missing_field")
            }
            try APIError.requirePlainText(q, field: "q")
            guard q.count <= 200 else { throw APIError.invalid("q", "q must be at most 200 characters") }
            try APIError.requirePlainText(room, field: "room")
            if let room, room.unicodeScalars.count > 256 { throw APIError.invalid("room", "room must be at most 256 characters") }
            text = q
            self.room = room
            self.language = try language.map { raw -> String in
                guard let tag = LanguageTag(raw) else {
                    throw APIError.invalid("language", "language must be a BCP 47 tag such as en or pt-BR", code: "invalid_language")
                }
                return tag.value
            }
        }
    }

    struct Found: Sendable {
        var recording: Recording
        var result: CueSearchResult
    }

    struct Results: Sendable {
        var found: [Found]
        var nextCursor: String?
    }

    /// One page of what `principal` may find, from the request's `cursor`.
    func run(_ query: Query, as principal: Principal, request: Request, limit: Int) async throws -> Results {
        var filter = CueSearch(text: query.text, roomName: query.room, language: query.language)
        filter.organizationID = principal.adminScope?.organizationID
        var viewerOrganization: UUID?
        if case .viewer(let identity, _, _, let organization) = principal {
            // Only what this viewer may watch, decided in the statement, so a page is full.
            filter.viewer = try await RecordingAccess.reach(identity: identity, organization: organization, catalog: catalog)
            viewerOrganization = organization?.id
        }
        // The cursor names the searcher too: a page of one person's results is not another's.
        let scope = KeysetCursor.scope(
            "search",
            filters: [
                "q": query.text, "room": query.room, "language": query.language, "as": filter.viewer?.identity,
                "organization": (filter.organizationID ?? viewerOrganization)?.uuidString.lowercased(),
            ])
        // Cursors are not signed: a forged offset is kept within what paging through results can reach.
        let offset = Int(min(max(try request.cursor(scope: scope)?.sortValue ?? 0, 0), 10_000))
        let results = try await catalog.pool.cues.search(filter, offset: offset, limit: limit + 1)
        // The page's recordings at once, not one query each.
        let recordings = try await catalog.pool.recordings.find(ids: results.prefix(limit).map(\.recordingID))
        let found = results.prefix(limit).compactMap { result in
            recordings[result.recordingID].map { Found(recording: $0, result: result) }
        }
        let next = results.count > limit ? KeysetCursor(scope: scope, sortValue: Int64(offset + limit)).encode() : nil
        return Results(found: found, nextCursor: next)
    }
}
