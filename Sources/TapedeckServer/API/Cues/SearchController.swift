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
                            json.member("url", publicURL + PlayerTime.link(recording.id, at: hit.startMs))
                        }
                    }
                }
            }
        }
    }

    @Sendable func search(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Page<Item>> {
        guard let principal = context.principal else { throw APIError.unauthorized }
        let query = try TranscriptSearch.Query(
            q: request.query("q"), room: request.query("room"), language: request.query("language"))
        let limit = try request.limit(default: 10, maximum: 50)
        let results = try await TranscriptSearch(catalog: catalog).run(query, as: principal, request: request, limit: limit)
        return JSONResponse(
            Page(
                items: results.found.map { Item(recording: $0.recording, result: $0.result, publicURL: publicURL) },
                nextCursor: results.nextCursor))
    }
}

/// Media times as the player's `#t=` fragment writes them: seconds with up to three decimals.
enum PlayerTime {
    static func seconds(_ ms: Int64) -> String {
        ms % 1000 == 0 ? String(ms / 1000) : String(format: "%.3f", Double(ms) / 1000)
    }

    /// The player page of `recording` at a moment (a path: the API puts its public URL before it).
    static func link(_ recording: UUID, at ms: Int64) -> String {
        "/recordings/\(recording.uuidString.lowercased())#t=\(seconds(ms))"
    }
}
