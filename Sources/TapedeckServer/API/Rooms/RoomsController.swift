import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `/v1/rooms/{name}/policy`: a room's recording policy. `?provider=` says which room when the
/// name is on more than one provider (see ``RoomLookup``).
struct RoomsController {
    let catalog: Catalog
    let defaultPolicy: RecordingPolicy
    let maxBody: Int

    var lookup: RoomLookup { RoomLookup(catalog: catalog) }

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.get("/rooms/{name}/policy", use: show)
        group.put("/rooms/{name}/policy", use: update)
        group.delete("/rooms/{name}/policy", use: reset)
        group.get("/rooms/{name}/recording-status", use: recordingStatus)
        group.put("/rooms/{name}", use: assignOrganization)
    }

    struct RecordingStatusRepresentation: JSONRepresentable {
        var room: String
        var recording: Recording?

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("room", room)
                // "Is this room being recorded right now?": what a meeting UI's indicator shows.
                json.member("recording", recording.map { [.recording, .stopping].contains($0.status) } ?? false)
                json.member("status", recording?.status.rawValue)
                json.member("recording_id", recording?.id.uuidString.lowercased())
                json.member("started_at", recording?.startedAt?.rfc3339)
            }
        }
    }

    /// Whether the room is being recorded, for the recording indicator of a meeting UI. API keys
    /// may ask about any room; a viewer token only about rooms its holder took part in
    /// (participants must be able to see that they are recorded; nobody else learns which rooms
    /// exist or when they record). Any other room is the same 404 as one that does not exist.
    @Sendable func recordingStatus(_ request: Request, context: TapedeckRequestContext) async throws
        -> JSONResponse<RecordingStatusRepresentation>
    {
        guard let principal = context.principal else { throw APIError.unauthorized }
        let name = try roomName(context)
        let provider = try RoomLookup.provider(request.query("provider"))
        var active: Recording?
        let room: Room?
        if case .viewer(let identity, _, _, let organization) = principal {
            room = try await lookup.room(named: name, provider: provider) { room in
                guard try await RecordingAccess.tokenCovers(room, organization: organization, catalog: catalog) else { return false }
                return try await catalog.pool.participants.tookPart(identity: identity, roomID: room.id)
            }
            guard room != nil else { throw APIError.notFound("room") }
        } else {
            let scope = principal.adminScope ?? .global
            room = try await lookup.room(named: name, provider: provider) { scope.covers($0.organizationID) }
        }
        if let room {
            active = try await catalog.pool.recordings.active(roomID: room.id)
        }
        return JSONResponse(RecordingStatusRepresentation(room: name, recording: active))
    }

    struct PolicyRepresentation: JSONRepresentable {
        var room: String
        var policy: RecordingPolicy
        var source: String

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("room", room)
                json.member("source", source)
                json.key("policy")
                JSONValue.parse(policy.encodedJSON()).withNulls(for: ["max_duration_s", "preset", "retain_days"])
                    .write(to: &json)
            }
        }
    }

    func roomName(_ context: TapedeckRequestContext) throws -> String {
        try context.roomNameParameter()
    }

    @Sendable func show(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<PolicyRepresentation> {
        let (_, scope) = try context.requireScopedAdmin()
        let name = try roomName(context)
        // Another organization's room is, to this key, a room that does not exist: the default.
        let room = try await lookup.room(named: name, provider: try RoomLookup.provider(request.query("provider"))) {
            scope.covers($0.organizationID)
        }
        if let json = room?.policyJSON {
            do {
                let policy = try StoredPolicy.resolve(json, room: name, defaults: defaultPolicy)
                return JSONResponse(PolicyRepresentation(room: name, policy: policy, source: "room"))
            } catch {
                throw APIError(.conflict, code: "room_policy_unreadable", message: error.description, field: "room")
            }
        }
        return JSONResponse(PolicyRepresentation(room: name, policy: defaultPolicy, source: "default"))
    }

    /// Sets the room's policy; fields left out take the default's values.
    @Sendable func update(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<PolicyRepresentation> {
        let (principal, scope) = try context.requireScopedAdmin()
        let name = try roomName(context)
        let provider = try RoomLookup.provider(request.query("provider"))
        let buffer = try await request.decodeJSON(as: JSONValue.self, limit: maxBody)
        guard case .object = buffer else {
            throw APIError.invalid("body", "the policy must be a JSON object", code: "invalid_json")
        }
        let data = try JSONEncoder().encode(buffer)
        let policy: RecordingPolicy
        do {
            policy = try RecordingPolicy.decode(data, defaults: defaultPolicy)
        } catch let error as DecodingError {
            throw APIError.from(error)
        }
        if let problem = policy.validationError() {
            throw APIError.invalid(problem.field, problem.message)
        }
        let json = policy.encodedJSON()
        let visible = try await lookup.room(named: name, provider: provider) { scope.covers($0.organizationID) }
        let owner = visible?.provider ?? provider ?? RoomLookup.defaultProvider
        _ = try await catalog.transaction { tx in
            if visible == nil, let organizationID = scope.organizationID {
                // An organization's key sets up a new room in its organization, never touches another's.
                guard try await tx.rooms.create(name: name, provider: owner, organizationID: organizationID) != nil else {
                    throw Self.nameTaken(name)
                }
            }
            let room = try await tx.rooms.setPolicy(name: name, provider: owner, policyJSON: json)
            try await tx.events.append(
                NewAuditEvent(
                    type: "room.policy_set", actor: principal.actor,
                    data: ["room": room.name, "provider": room.provider, "policy": json]))
        }
        return JSONResponse(PolicyRepresentation(room: name, policy: policy, source: "room"))
    }

    @Sendable func reset(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<PolicyRepresentation> {
        let (principal, scope) = try context.requireScopedAdmin()
        let name = try roomName(context)
        if let room = try await lookup.room(named: name, provider: try RoomLookup.provider(request.query("provider")), visible: {
            scope.covers($0.organizationID)
        }) {
            _ = try await catalog.transaction { tx in
                _ = try await tx.rooms.setPolicy(name: name, provider: room.provider, policyJSON: nil)
                try await tx.events.append(
                    NewAuditEvent(
                        type: "room.policy_reset", actor: principal.actor, data: ["room": name, "provider": room.provider]))
            }
        }
        return JSONResponse(PolicyRepresentation(room: name, policy: defaultPolicy, source: "default"))
    }
}

extension RoomsController {
    /// Room names are unique per provider across the installation, so a name another
    /// organization (or nobody's room) holds cannot be taken. The answer says only that.
    static func nameTaken(_ name: String) -> APIError {
        APIError(
            .conflict, code: "room_name_taken",
            message: "a room named \(name) cannot be created in this organization; choose another name", field: "room")
    }
}

extension JSONValue {
    /// Adds explicit nulls for absent optional members (the encoder leaves them out).
    func withNulls(for keys: [String]) -> JSONValue {
        guard case .object(var members) = self else { return self }
        for key in keys where members[key] == nil { members[key] = .null }
        return .object(members)
    }
}
