import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `/v1/recordings`: the catalog (admins), and `/v1/me/recordings` (a viewer's own).
struct RecordingsController {
    let catalog: Catalog
    let scheduler: JobScheduler

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.get("/recordings", use: list)
        group.get("/recordings/{id}", use: show)
        group.delete("/recordings/{id}", use: delete)
        group.get("/recordings/{id}/events", use: events)
        group.get("/me/recordings", use: mine)
        group.patch("/recordings/{id}", use: update)
        group.put("/recordings/{id}/hold", use: hold)
        group.delete("/recordings/{id}/hold", use: hold)
    }

    /// `{"cue_offset_ms"}`: what the operator changes on a recording.
    struct Update: Decodable {
        var cueOffsetMs: Int64?

        enum CodingKeys: String, CodingKey { case cueOffsetMs = "cue_offset_ms" }

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            cueOffsetMs = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int64.self, forKey: .cueOffsetMs)
        }
    }

    /// The largest correction of cue times: egress lags by seconds, never by an hour.
    static let maximumCueOffsetMs: Int64 = 3_600_000

    /// `PATCH`: a new cue offset moves every wall-clock cue of the recording at once.
    @Sendable func update(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        _ = try context.requireScopedAdmin()
        let id = try context.uuidParameter("id")
        let update = try await request.decodeJSON(as: Update.self, limit: 4096)
        if let offset = update.cueOffsetMs, offset.magnitude > UInt64(Self.maximumCueOffsetMs) {
            throw APIError.invalid("cue_offset_ms", "cue_offset_ms must be within ±\(Self.maximumCueOffsetMs) milliseconds")
        }
        let (principal, existing) = try await RecordingAccess.administered(id, by: context, catalog: catalog)
        guard existing.status != .deleted else { throw APIError.notFound("recording") }
        if let offset = update.cueOffsetMs, offset != existing.cueOffsetMs {
            try await catalog.transaction { tx in
                try await tx.recordings.setCueOffset(id, offset)
                try await CuePlacer.place(tx, recordingID: id)
                try await tx.events.append(
                    NewAuditEvent(
                        recordingID: id, type: "recording.cue_offset_set", actor: principal.actor, data: ["cue_offset_ms": String(offset)]))
            }
        }
        guard let recording = try await catalog.pool.recordings.find(id: id) else { throw APIError.notFound("recording") }
        return JSONResponse(RecordingRepresentation(recording: recording))
    }

    /// `PUT` puts a recording on hold (retention never deletes it), `DELETE` releases it.
    @Sendable func hold(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        let id = try context.uuidParameter("id")
        let (principal, _) = try await RecordingAccess.administered(id, by: context, catalog: catalog)
        let onHold = request.method == .put
        let changed = try await catalog.transaction { tx -> Bool in
            guard try await tx.recordings.setHold(id, onHold) else { return false }
            try await tx.events.append(
                NewAuditEvent(recordingID: id, type: onHold ? "recording.held" : "recording.released", actor: principal.actor))
            return true
        }
        guard changed, let recording = try await catalog.pool.recordings.find(id: id) else { throw APIError.notFound("recording") }
        return JSONResponse(RecordingRepresentation(recording: recording))
    }

    /// What the viewer may watch (``RecordingAccess/decide(_:)``, in the statement): their own
    /// sessions' recordings, and every recording of their organization's rooms where its rule
    /// lets them; each one `GET /v1/recordings/{id}` answers for them.
    @Sendable func mine(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<
        Page<RecordingRepresentation>
    > {
        guard case .viewer(let identity, _, _, let organization) = context.principal else {
            throw APIError(
                .forbidden, code: "viewer_only",
                message: "/v1/me/recordings lists a viewer's recordings: authenticate with a viewer token (API keys use /v1/recordings)")
        }
        let reach = try await RecordingAccess.reach(identity: identity, organization: organization, catalog: catalog)
        return try await page(request, viewer: reach)
    }

    @Sendable func list(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<
        Page<RecordingRepresentation>
    > {
        let (_, scope) = try context.requireScopedAdmin()
        return try await page(request, viewer: nil, organizationID: scope.organizationID)
    }

    func page(_ request: Request, viewer: ViewerReach?, organizationID: UUID? = nil) async throws -> JSONResponse<
        Page<RecordingRepresentation>
    > {
        let room = request.query("room")
        try APIError.requirePlainText(room, field: "room")
        if let room, room.unicodeScalars.count > 256 {
            throw APIError.invalid("room", "room must be at most 256 bytes")
        }
        var status: RecordingStatus?
        if let raw = request.query("status") {
            guard let parsed = RecordingStatus(rawValue: raw) else {
                let options = RecordingStatus.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.invalid("status", "status must be one of \(options), got \"\(raw.prefix(40))\"")
            }
            status = parsed
        }
        let limit = try request.limit()
        // A viewer's cursor names the viewer and what their token speaks for: a page of one
        // person's list is not another's.
        var viewerOrganization: String?
        if case .organization(let id, _) = viewer?.token { viewerOrganization = id.uuidString.lowercased() }
        let scope = KeysetCursor.scope(
            viewer == nil ? "recordings" : "my-recordings", filters: [
                "room": room, "status": status?.rawValue, "viewer": viewer?.identity,
                "organization": organizationID?.uuidString.lowercased() ?? viewerOrganization,
            ])
        let position = try request.cursor(scope: scope).map { cursor -> RecordingPosition in
            guard let id = UUID(uuidString: cursor.tiebreaker) else {
                throw APIError.invalid("cursor", "cursor is not valid; use next_cursor from a previous page", code: "invalid_cursor")
            }
            return RecordingPosition(createdAt: cursor.sortValue, id: id)
        }
        var filter = RecordingFilter(roomName: room, status: status)
        filter.organizationID = organizationID
        filter.viewer = viewer
        // One extra row tells whether another page exists.
        let rows = try await catalog.pool.recordings.list(filter: filter, after: position, limit: limit + 1)
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { last in
            KeysetCursor(scope: scope, sortValue: last.createdAt.millisecondsSince1970, tiebreaker: last.id.uuidString)
                .encode()
        } : nil
        return JSONResponse(Page(items: page.map(RecordingRepresentation.init), nextCursor: next))
    }

    @Sendable func show(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<
        RecordingRepresentation
    > {
        let id = try context.uuidParameter("id")
        let (recording, _) = try await RecordingAccess.viewable(id, by: context.principal, catalog: catalog)
        return JSONResponse(RecordingRepresentation(recording: recording))
    }

    /// Marks the recording deleted and queues the deletion of its objects. Deleting again is a no-op.
    @Sendable func delete(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<
        RecordingRepresentation
    > {
        let id = try context.uuidParameter("id")
        // Admins, and the hosts of the recording's session.
        let (_, role) = try await RecordingAccess.viewable(id, by: context.principal, catalog: catalog)
        guard role == .admin || role == .host, let principal = context.principal else { throw APIError.notFound("recording") }
        let outcome = try await RecordingLifecycle.markDeleted(
            id, actor: principal.actor, cause: "deleted through the API", catalog: catalog, scheduler: scheduler)
        switch outcome {
        case .notFound:
            throw APIError.notFound("recording")
        case .rejected(let current, let reason) where current != .deleted:
            throw APIError.conflict("recording_active", reason)
        case .applied, .ignored, .rejected:
            break
        }
        guard let recording = try await catalog.pool.recordings.find(id: id) else { throw APIError.notFound("recording") }
        return JSONResponse(RecordingRepresentation(recording: recording), status: .accepted)
    }

    @Sendable func events(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<
        Page<EventRepresentation>
    > {
        _ = try context.requireScopedAdmin()
        let id = try context.uuidParameter("id")
        let limit = try request.limit(default: 50, maximum: 500)
        let scope = KeysetCursor.scope("recording-events", filters: ["recording": id.uuidString.lowercased()])
        let after = try request.cursor(scope: scope)?.sortValue
        _ = try await RecordingAccess.administered(id, by: context, catalog: catalog)
        let rows = try await catalog.pool.events.list(recordingID: id, afterID: after, limit: limit + 1)
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { KeysetCursor(scope: scope, sortValue: $0.id).encode() } : nil
        return JSONResponse(Page(items: page.map(EventRepresentation.init), nextCursor: next))
    }
}
