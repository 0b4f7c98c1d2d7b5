import Foundation
import Hummingbird
import NIOCore
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// Cues in and out: `POST /v1/rooms/{name}/cues` (live, wall-clock times), `POST
/// /v1/recordings/{id}/cues` (after the fact), `GET /v1/recordings/{id}/cues` and
/// `GET /v1/recordings/{id}/text-tracks`.
struct CuesController {
    let catalog: Catalog
    let grants: PlaybackGrants
    let maxBody: Int
    let cueLimits: CueLimits

    var ingest: CueIngest { CueIngest(catalog: catalog, limits: cueLimits) }

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.post("/rooms/{name}/cues", use: postLive)
        group.post("/recordings/{id}/cues", use: postForRecording)
        group.post("/recordings/{id}/captions", use: uploadCaptions)
        group.get("/recordings/{id}/cues", use: list)
        group.get("/recordings/{id}/text-tracks", use: textTracks)
    }

    /// Cues of the room's session as it happens: from an API key, or from a viewer token of
    /// someone taking part in it (a translation panel in the meeting UI).
    @Sendable func postLive(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<CueBatchResult> {
        guard let principal = context.principal else { throw APIError.unauthorized }
        let name = try context.roomNameParameter()
        let batch = try await request.decodeJSON(as: CueBatch.self, limit: maxBody)
        let cues = try batch.validated(source: .live)
        if let index = cues.firstIndex(where: { if case .media = $0.timing { true } else { false } }) {
            throw APIError.invalid(
                "cues[\(index)].start_ms",
                "cues[\(index)]: a live cue has wall-clock times (start_at, end_at); media times go to /v1/recordings/{id}/cues",
                code: "conflicting_fields")
        }
        var viewer: String?
        if case .viewer(let identity, _, _, _) = principal { viewer = identity }
        // A name may be a room of two providers (`?provider=` says which); a viewer learns only
        // of rooms they took part in.
        let lookup = RoomLookup(catalog: catalog)
        guard
            let room = try await lookup.room(
                named: name, provider: try RoomLookup.provider(request.query("provider")),
                visible: { room in
                    if let scope = principal.adminScope { return scope.covers(room.organizationID) }
                    guard let viewer, case .viewer(_, _, _, let organization) = principal,
                        try await RecordingAccess.tokenCovers(room, organization: organization, catalog: catalog)
                    else { return false }
                    return try await catalog.pool.participants.tookPart(identity: viewer, roomID: room.id)
                })
        else { throw APIError.notFound("room") }
        do {
            let result = try await ingest.ingestLive(
                roomID: room.id, cues: cues, poster: Self.poster(principal), viewerIdentity: viewer)
            return JSONResponse(CueBatchResult(result: result))
        } catch CueIngest.Failure.notParticipant {
            throw APIError.notFound("room")
        } catch CueIngest.Failure.noSession {
            throw APIError.conflict(
                "no_live_session", "the room has no session now; post cues of a past session to /v1/recordings/{id}/cues")
        } catch CueIngest.Failure.keyTaken(let index) {
            throw Self.keyTaken(index)
        } catch CueIngest.Failure.tooManyCues(let limit) {
            throw Self.tooManyCues(limit, per: "session")
        } catch CueIngest.Failure.tooManyTracks(let limit) {
            throw Self.tooManyTracks(limit, per: "session")
        }
    }

    /// API keys may replace any cue; a participant only the cues they posted themselves.
    static func poster(_ principal: Principal) -> CueRepository.Poster {
        switch principal {
        case .admin: CueRepository.Poster(actor: principal.actor, mayReplaceOthers: true)
        case .viewer: CueRepository.Poster(actor: principal.actor, mayReplaceOthers: false)
        }
    }

    /// A batch refused whole: its poster would keep more cues than the limit.
    static func tooManyCues(_ limit: Int, per scope: String) -> APIError {
        APIError(
            .conflict, code: "cue_limit_reached",
            message: "one poster may keep at most \(limit) cues per \(scope) (TAPEDECK_MAX_CUES_PER_POSTER); nothing of this batch was stored",
            field: "cues")
    }

    /// A batch refused whole: it would add a track past the limit.
    static func tooManyTracks(_ limit: Int, per scope: String, field: String = "cues") -> APIError {
        APIError(
            .conflict, code: "track_limit_reached",
            message: "a \(scope) may have at most \(limit) tracks, one per kind and language (TAPEDECK_MAX_CUE_TRACKS); nothing of this \(field == "cues" ? "batch" : "file") was stored",
            field: field)
    }

    static func keyTaken(_ index: Int) -> APIError {
        APIError(
            .conflict, code: "cue_key_taken", message: "cues[\(index)].cue_key names a cue someone else posted; use keys of your own",
            field: "cues[\(index)].cue_key")
    }

    /// Cues for one recording, with media-relative or wall-clock times (admins).
    @Sendable func postForRecording(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<CueBatchResult> {
        _ = try context.requireScopedAdmin()
        let id = try context.uuidParameter("id")
        let batch = try await request.decodeJSON(as: CueBatch.self, limit: maxBody)
        let cues = try batch.validated(source: .upload)
        let (principal, recording) = try await RecordingAccess.administered(id, by: context, catalog: catalog)
        guard recording.status != .deleted else { throw APIError.notFound("recording") }
        do {
            return JSONResponse(CueBatchResult(result: try await ingest.ingest(recording: recording, cues: cues, poster: Self.poster(principal))))
        } catch CueIngest.Failure.keyTaken(let index) {
            throw Self.keyTaken(index)
        } catch CueIngest.Failure.tooManyCues(let limit) {
            throw Self.tooManyCues(limit, per: "recording")
        } catch CueIngest.Failure.tooManyTracks(let limit) {
            throw Self.tooManyTracks(limit, per: "recording")
        }
    }

    /// `POST /v1/recordings/{id}/captions?language=&kind=`: a WebVTT, SRT or 100ms transcript
    /// file as the body; it replaces the track's earlier file (admins).
    @Sendable func uploadCaptions(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<CueBatchResult> {
        _ = try context.requireScopedAdmin()
        let id = try context.uuidParameter("id")
        guard let rawLanguage = request.query("language") else {
            throw APIError.invalid("language", "language (a BCP 47 tag such as en) is required", code: "missing_field")
        }
        guard let language = LanguageTag(rawLanguage) else {
            throw APIError.invalid("language", "language must be a BCP 47 tag such as en or pt-BR", code: "invalid_language")
        }
        let kind = try request.query("kind").map { raw -> CueKind in
            guard let kind = CueKind(rawValue: raw) else {
                throw APIError.invalid("kind", "kind must be one of \(CueKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        } ?? .captions
        let limit = CaptionFileParser.maximumBytes
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw APIError.payloadTooLarge(limit: limit) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError.payloadTooLarge(limit: limit)
        }
        let (principal, recording) = try await RecordingAccess.administered(id, by: context, catalog: catalog)
        guard recording.status != .deleted else { throw APIError.notFound("recording") }
        let cues: [NewCue]
        do {
            cues = try CaptionFileImport.cues(Array(buffer: body), kind: kind, language: language, source: .upload)
        } catch {
            throw APIError.invalid("body", error.description, code: "invalid_caption_file")
        }
        do {
            let count = try await CaptionFileImport.replaceTrack(
                cues, recordingID: recording.id, kind: kind, language: language, source: .upload, actor: principal.actor,
                trackLimit: cueLimits.tracks, catalog: catalog)
            return JSONResponse(CueBatchResult(result: CueIngest.Result(accepted: count, recordingIDs: [recording.id])))
        } catch CueIngest.Failure.tooManyTracks(let limit) {
            // The file's track is the query's kind and language: that is what to change.
            throw Self.tooManyTracks(limit, per: "recording", field: "language")
        }
    }

    /// `?kind=&language=&q=&after=&limit=&cursor=`: the recording's final cues in playback
    /// order; `after` (media milliseconds) skips cues starting before it.
    @Sendable func list(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Page<CueRepresentation>> {
        let id = try context.uuidParameter("id")
        let (recording, _) = try await RecordingAccess.viewable(id, by: context.principal, catalog: catalog)
        let filter = try Self.filter(request)
        let after = try request.query("after").map { raw -> Int64 in
            guard let value = Int64(raw), value >= 0 else {
                throw APIError.invalid("after", "after must be a whole number of milliseconds, got \"\(raw.prefix(40))\"")
            }
            return value
        }
        let limit = try request.limit(default: 500, maximum: 5000)
        let scope = KeysetCursor.scope(
            "cues:\(recording.id.uuidString.lowercased())",
            filters: ["kind": filter.kind?.rawValue, "language": filter.language, "q": filter.text, "after": after.map(String.init)])
        var position = try request.cursor(scope: scope).flatMap { cursor in
            Int64(cursor.tiebreaker).map { CueCursor(startMs: cursor.sortValue, id: $0) }
        }
        if position == nil, let after { position = CueCursor(startMs: after, id: 0) }
        let cues = try await catalog.pool.cues.list(recordingID: recording.id, filter: filter, after: position, limit: limit + 1)
        let page = Array(cues.prefix(limit))
        let next =
            cues.count > limit
            ? page.last.map { KeysetCursor(scope: scope, sortValue: $0.cue.startMs, tiebreaker: String($0.id)).encode() } : nil
        return JSONResponse(Page(items: page.map { CueRepresentation(cue: $0.cue) }, nextCursor: next))
    }

    static func filter(_ request: Request) throws -> CueRepository.Filter {
        var filter = CueRepository.Filter()
        if let raw = request.query("kind") {
            guard let kind = CueKind(rawValue: raw) else {
                throw APIError.invalid("kind", "kind must be one of \(CueKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.kind = kind
        }
        if let raw = request.query("language") {
            guard let tag = LanguageTag(raw) else {
                throw APIError.invalid("language", "language must be a BCP 47 tag such as en or pt-BR", code: "invalid_language")
            }
            filter.language = tag.value
        }
        if let q = request.query("q"), !q.isEmpty {
            try APIError.requirePlainText(q, field: "q")
            guard q.count <= 200 else { throw APIError.invalid("q", "q must be at most 200 characters") }
            filter.text = q
        }
        return filter
    }

    /// The recording's tracks, each with a signed WebVTT URL.
    @Sendable func textTracks(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<[TextTrackRepresentation]> {
        let id = try context.uuidParameter("id")
        let (recording, _) = try await RecordingAccess.viewable(id, by: context.principal, catalog: catalog)
        try PlaybackGrants.requirePlayable(recording)
        let expires = grants.expiry(share: nil)
        return JSONResponse(try await grants.textTracks(recording, expires: expires, share: nil))
    }
}
