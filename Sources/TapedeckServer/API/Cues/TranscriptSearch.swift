import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// A search of the recordings' transcripts, as the API and the pages run it: every word, in the
/// recordings the searcher may watch (all of them for an admin, their own sessions' for a
/// viewer), best first, a page at a time.
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
        if case .viewer(let identity, _, _, let organization) = principal {
            filter.participantIdentity = identity
            // Where the organization's rule lets this member see more than their own sessions, the
            // candidates are its rooms' recordings; RecordingAccess decides each below.
            if let organization, let rule = try await catalog.pool.organizations.find(id: organization.id)?.accessRule,
                rule == .members || (rule == .admins && organization.role == .admin)
            {
                filter.participantIdentity = nil
                filter.organizationID = organization.id
            }
        }
        // The cursor names the searcher too: a page of one person's results is not another's.
        let scope = KeysetCursor.scope(
            "search",
            filters: [
                "q": query.text, "room": query.room, "language": query.language, "as": filter.participantIdentity,
                "organization": filter.organizationID?.uuidString.lowercased(),
            ])
        // Cursors are not signed: a forged offset is kept within what paging through results can reach.
        let offset = Int(min(max(try request.cursor(scope: scope)?.sortValue ?? 0, 0), 10_000))
        let results = try await catalog.pool.cues.search(filter, offset: offset, limit: limit + 1)
        // The page's recordings at once, not one query each; a viewer's only those they may watch.
        let recordings = try await catalog.pool.recordings.find(ids: results.prefix(limit).map(\.recordingID))
        var found: [Found] = []
        for result in results.prefix(limit) {
            guard let recording = recordings[result.recordingID] else { continue }
            if case .viewer(let identity, _, _, let organization) = principal,
                try await !RecordingAccess.mayWatch(recording, identity: identity, organization: organization, catalog: catalog)
            {
                continue
            }
            found.append(Found(recording: recording, result: result))
        }
        let next = results.count > limit ? KeysetCursor(scope: scope, sortValue: Int64(offset + limit)).encode() : nil
        return Results(found: found, nextCursor: next)
    }
}
