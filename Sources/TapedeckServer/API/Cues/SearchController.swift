import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `GET /v1/search?q=&room=&language=`: recordings whose transcripts hold every word, best first,
/// each with its hits and a link to the moment. API keys search everything; a viewer token only
/// the recordings its holder may watch.
struct SearchController {
    let catalog: Catalog
    let publicURL: String

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.get("/search", use: search)
    }

    struct Item: JSONRepresentable {
        var recording: Recording
        var result: CueSearchResult
        var publicURL: String

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("recording", RecordingRepresentation(recording: recording))
                json.member("hit_count", result.hitCount)
                json.key("hits")
                json.array { json in
                    for hit in result.hits {
                        json.object { json in
                            json.member("start_ms", hit.startMs)
                            json.member("end_ms", hit.endMs)
                            json.member("language", hit.language)
                            json.member("kind", hit.kind.rawValue)
                            json.member("text", hit.text)
                            json.member("speaker", hit.speaker)
                            // The player's deep link: `#t=` in seconds, as media fragments write it.
                            json.member(
                                "url",
                                "\(publicURL)/recordings/\(recording.id.uuidString.lowercased())#t=\(PlayerTime.seconds(hit.startMs))")
                        }
                    }
                }
            }
        }
    }

    @Sendable func search(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Page<Item>> {
        guard let principal = context.principal else { throw APIError.unauthorized }
        guard let q = request.query("q"), !q.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError.invalid("q", "q (the words to find) is required", code: "missing_field")
        }
        try APIError.requirePlainText(q, field: "q")
        guard q.count <= 200 else { throw APIError.invalid("q", "q must be at most 200 characters") }
        let room = request.query("room")
        try APIError.requirePlainText(room, field: "room")
        if let room, room.unicodeScalars.count > 256 { throw APIError.invalid("room", "room must be at most 256 characters") }
        let language = try request.query("language").map { raw -> String in
            guard let tag = LanguageTag(raw) else {
                throw APIError.invalid("language", "language must be a BCP 47 tag such as en or pt-BR", code: "invalid_language")
            }
            return tag.value
        }
        var filter = CueSearch(text: q, roomName: room, language: language)
        if case .viewer(let identity, _, _) = principal { filter.participantIdentity = identity }
        let limit = try request.limit(default: 10, maximum: 50)
        let scope = KeysetCursor.scope(
            "search", filters: ["q": q, "room": room, "language": language, "as": filter.participantIdentity])
        let offset = Int(try request.cursor(scope: scope)?.sortValue ?? 0)
        let results = try await catalog.pool.cues.search(filter, offset: offset, limit: limit + 1)
        let page = results.prefix(limit)
        let recordings = try await catalog.pool.recordings.find(ids: page.map(\.recordingID))
        let items = page.compactMap { result in
            recordings[result.recordingID].map { Item(recording: $0, result: result, publicURL: publicURL) }
        }
        let next = results.count > limit ? KeysetCursor(scope: scope, sortValue: Int64(offset + limit)).encode() : nil
        return JSONResponse(Page(items: items, nextCursor: next))
    }
}

/// Media times as the player's `#t=` fragment writes them: seconds with up to three decimals.
enum PlayerTime {
    static func seconds(_ ms: Int64) -> String {
        ms % 1000 == 0 ? String(ms / 1000) : String(format: "%.3f", Double(ms) / 1000)
    }
}
