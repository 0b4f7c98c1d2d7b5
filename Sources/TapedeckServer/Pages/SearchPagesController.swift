import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `GET /search?q=`: the transcripts search as a page. A signed-in admin searches every recording
/// (and may name a room); a viewer only the recordings of sessions they took part in, exactly as
/// `GET /v1/search` answers their viewer token. Each line found links to its moment in the player.
struct SearchPagesController {
    let search: TranscriptSearch
    let visitors: PageVisitors
    let renderer: PageRenderer

    static let pageSize = 10

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/search", use: page)
    }

    @Sendable func page(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let principal: Principal
        var values: [String: Any] = ["title": "Search transcripts"]
        if let (admin, _) = try await visitors.admin(request) {
            principal = admin
            values["admin"] = true
        } else if let viewer = await visitors.viewer(request) {
            principal = .viewer(viewer)
        } else {
            return renderer.message(
                title: "Access denied", message: "Sign in, or open a link from the meeting's organiser, to search recordings.",
                status: .unauthorized)
        }
        // A form sends its empty fields: for the page, empty is absent.
        let form = FormBody.query(request)
        func field(_ name: String) -> String? { form[name].flatMap { $0.isEmpty ? nil : $0 } }
        values["q"] = field("q") ?? ""
        values["room"] = field("room") ?? ""
        guard field("q") != nil else { return renderer.page("search", values) }
        do {
            let query = try TranscriptSearch.Query(q: field("q"), room: field("room"), language: field("language"))
            let results = try await search.run(query, as: principal, request: request, limit: Self.pageSize)
            values["searched"] = true
            values["hasResults"] = !results.found.isEmpty
            values["results"] = results.found.map(Self.result)
            if let next = results.nextCursor {
                var components = URLComponents()
                components.path = "/search"
                components.queryItems = [
                    URLQueryItem(name: "q", value: query.text), query.room.map { URLQueryItem(name: "room", value: $0) },
                    query.language.map { URLQueryItem(name: "language", value: $0) }, URLQueryItem(name: "cursor", value: next),
                ].compactMap { $0 }
                values["nextURL"] = components.string
            }
            return renderer.page("search", values)
        } catch let error as APIError where error.status == .badRequest {
            values["error"] = error.message
            return renderer.page("search", values, status: .badRequest)
        }
    }

    static func result(_ found: TranscriptSearch.Found) -> [String: Any] {
        let recording = found.recording
        return [
            "id": recording.id.uuidString.lowercased(), "room": recording.title ?? recording.roomName,
            "date": PlayerPage.readableDate(recording.startedAt ?? recording.createdAt),
            "hitCount": found.result.hitCount == 1 ? "1 matching line" : "\(found.result.hitCount) matching lines",
            "hits": found.result.hits.map { hit -> [String: Any] in
                var item: [String: Any] = [
                    "url": PlayerTime.link(recording.id, at: hit.startMs), "clock": PlayerPage.readableDuration(hit.startMs),
                    "text": hit.text,
                ]
                if let speaker = hit.speaker { item["speaker"] = speaker }
                return item
            },
        ]
    }
}
