import Foundation
import Hummingbird
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// `PUT /v1/rooms/{name}` with `{"organization": "<slug>"}`: which organization a room belongs
/// to (`null`: none). A global key sets any room's, creating the room when it is new; an
/// organization's key creates rooms in its own organization only and never moves a room that
/// is someone else's (that name is `room_name_taken`, the same whoever holds it).
extension RoomsController {
    struct AssignmentBody: Decodable {
        var organization: String?
        enum CodingKeys: String, CodingKey { case organization }
        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard c.contains(.organization) else {
                throw DecodingError.keyNotFound(
                    CodingKeys.organization, .init(codingPath: [], debugDescription: "organization (a slug, or null) is required"))
            }
            organization = try c.decodeIfPresent(String.self, forKey: .organization)
        }
    }

    struct RoomRepresentation: JSONRepresentable {
        var room: Room
        var organization: Organization?
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("room", room.name)
                json.member("provider", room.provider)
                json.member("organization", organization?.slug)
                json.member("organization_id", organization?.id.uuidString.lowercased())
                json.member("created_at", room.createdAt.rfc3339)
            }
        }
    }

    static func unknownOrganization(_ slug: String) -> APIError {
        APIError.invalid("organization", "no organization with slug \(slug.prefix(63)) is available to this key")
    }

    @Sendable func assignOrganization(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RoomRepresentation> {
        let (principal, scope) = try context.requireScopedAdmin()
        let name = try roomName(context)
        let provider = try RoomLookup.provider(request.query("provider"))
        let body = try await request.decodeJSON(as: AssignmentBody.self, limit: maxBody)
        var target: Organization?
        if let slug = body.organization {
            guard OrganizationSlug.problem(slug) == nil, let found = try await catalog.pool.organizations.find(slug: slug),
                scope.covers(found.id)
            else { throw Self.unknownOrganization(slug) }
            target = found
        } else if scope.organizationID != nil {
            throw APIError.invalid("organization", "an organization's key keeps its rooms in its organization")
        }
        let visible = try await lookup.room(named: name, provider: provider) { scope.covers($0.organizationID) }
        let owner = visible?.provider ?? provider ?? RoomLookup.defaultProvider
        let room = try await place(name: name, owner: owner, visible: visible, target: target, scope: scope, actor: principal.actor)
        return JSONResponse(RoomRepresentation(room: room, organization: target))
    }

    func place(name: String, owner: String, visible: Room?, target: Organization?, scope: AdminScope, actor: String) async throws -> Room {
        try await catalog.transaction { tx -> Room in
            var room: Room
            if let visible {
                room = visible
            } else if scope.organizationID != nil {
                guard let created = try await tx.rooms.create(name: name, provider: owner, organizationID: target?.id) else {
                    throw Self.nameTaken(name)
                }
                room = created
            } else {
                room = try await tx.rooms.findOrCreate(name: name, provider: owner)
            }
            if room.organizationID != target?.id {
                try await tx.rooms.setOrganization(room.id, target?.id)
                room.organizationID = target?.id
                try await tx.events.append(
                    NewAuditEvent(
                        type: "room.organization_set", actor: actor,
                        data: ["room": room.name, "provider": room.provider, "organization": target?.slug ?? ""]))
            }
            return room
        }
    }
}
