import Foundation
import HTTPTypes
import Hummingbird
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// Invitee lists of rooms and recordings (`/v1/rooms/{name}/invitees`,
/// `/v1/recordings/{id}/invitees`) and the outbox (`/v1/emails`). Rooms' lists and the outbox
/// are the admin key's; a recording's list is also its session's hosts'.
struct InvitationsController {
    let catalog: Catalog
    let scheduler: JobScheduler
    let maxBody: Int

    var lookup: RoomLookup { RoomLookup(catalog: catalog) }

    func register(on api: RouterGroup<TapedeckRequestContext>) {
        api.get("/rooms/{name}/invitees", use: showRoom)
        api.put("/rooms/{name}/invitees", use: replaceRoom)
        api.get("/recordings/{id}/invitees", use: showRecording)
        api.put("/recordings/{id}/invitees", use: replaceRecording)
        api.get("/emails", use: listEmails)
    }

    struct Entry: Decodable {
        var email: String
        var name: String?
        var role: String?
        enum CodingKeys: String, CodingKey { case email, name, role }

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            email = try c.decode(String.self, forKey: .email)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            role = try c.decodeIfPresent(String.self, forKey: .role)
        }
    }

    struct Body: Decodable {
        var invitees: [Entry]
        enum CodingKeys: String, CodingKey { case invitees }

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            invitees = try decoder.container(keyedBy: CodingKeys.self).decode([Entry].self, forKey: .invitees)
        }
    }

    struct InviteeList: JSONRepresentable {
        var invitees: [Invitee]
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.key("invitees")
                json.array { json in
                    for invitee in invitees {
                        json.object { json in
                            json.member("email", invitee.email)
                            json.member("name", invitee.name)
                            json.member("role", invitee.role)
                        }
                    }
                }
            }
        }
    }

    /// The body's list, checked entry by entry (`invitees[3].email`), de-duplicated without case.
    func invitees(_ request: Request) async throws -> [Invitee] {
        let body = try await request.decodeJSON(as: Body.self, limit: maxBody)
        guard body.invitees.count <= Invitee.maxCount else {
            throw APIError.invalid("invitees", "at most \(Invitee.maxCount) invitees")
        }
        var list: [Invitee] = []
        for (index, entry) in body.invitees.enumerated() {
            if let problem = Invitee.problem(email: entry.email, name: entry.name, role: entry.role) {
                throw APIError.invalid("invitees[\(index)].\(problem.field)", problem.message)
            }
            list.append(Invitee(email: EmailAddress.normalize(entry.email), name: entry.name, role: entry.role))
        }
        return Invitee.deduplicated(list)
    }

    @Sendable func showRoom(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<InviteeList> {
        // An organization's key reads its own rooms' lists; another's room is one nobody set up.
        let (_, scope) = try context.requireScopedAdmin()
        let name = try context.roomNameParameter()
        guard
            let room = try await lookup.room(
                named: name, provider: try RoomLookup.provider(request.query("provider")), visible: { scope.covers($0.organizationID) })
        else {
            return JSONResponse(InviteeList(invitees: []))
        }
        return JSONResponse(InviteeList(invitees: try await catalog.pool.invitees.list(.room(room.id))))
    }

    /// Replaces the room's list (the room is set up ahead of its first session when needed).
    @Sendable func replaceRoom(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<InviteeList> {
        let (principal, scope) = try context.requireScopedAdmin()
        let name = try context.roomNameParameter()
        let provider = try RoomLookup.provider(request.query("provider"))
        let list = try await invitees(request)
        let visible = try await lookup.room(named: name, provider: provider) { scope.covers($0.organizationID) }
        let owner = visible?.provider ?? provider ?? RoomLookup.defaultProvider
        let stored = try await catalog.transaction { tx in
            if visible == nil, let organizationID = scope.organizationID {
                // As for policies: an organization's key sets up a new room in its organization, never touches another's.
                guard try await tx.rooms.create(name: name, provider: owner, organizationID: organizationID) != nil else {
                    throw RoomsController.nameTaken(name)
                }
            }
            let room = try await tx.rooms.findOrCreate(name: name, provider: owner)
            try await tx.invitees.replace(.room(room.id), with: list)
            try await tx.events.append(
                NewAuditEvent(
                    type: "room.invitees_set", actor: principal.actor,
                    data: ["room": room.name, "provider": room.provider, "count": "\(list.count)"]))
            return try await tx.invitees.list(.room(room.id))
        }
        return JSONResponse(InviteeList(invitees: stored))
    }

    /// Admins and the session's hosts; anyone else the same 404 as a missing recording.
    func managed(_ context: TapedeckRequestContext) async throws -> Recording {
        let (recording, role) = try await RecordingAccess.viewable(try context.uuidParameter("id"), by: context.principal, catalog: catalog)
        guard role == .admin || role == .host, recording.status != .deleted else { throw APIError.notFound("recording") }
        return recording
    }

    @Sendable func showRecording(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<InviteeList> {
        let recording = try await managed(context)
        return JSONResponse(InviteeList(invitees: try await catalog.pool.invitees.list(.recording(recording.id))))
    }

    /// Replaces the recording's own list. Added to a recording already ready, the new invitees
    /// are emailed now (those already emailed are not emailed again).
    @Sendable func replaceRecording(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<InviteeList> {
        let recording = try await managed(context)
        let actor = context.principal?.actor ?? "unknown"
        let list = try await invitees(request)
        let stored = try await catalog.transaction { tx in
            try await tx.invitees.replace(.recording(recording.id), with: list)
            try await tx.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: recording.sessionID, type: "recording.invitees_set", actor: actor,
                    data: ["count": "\(list.count)"]))
            if recording.status == .ready {
                // A fan-out of its own: the first one's key is taken, and each email's key keeps
                // those already written from being written again.
                try await tx.jobs.enqueue(try InvitationFanOutJob.newJob(recordingID: recording.id, round: UUID()))
            }
            return try await tx.invitees.list(.recording(recording.id))
        }
        if recording.status == .ready { scheduler.wakeup.signal() }
        return JSONResponse(InviteeList(invitees: stored))
    }

    struct EmailList: JSONRepresentable {
        var items: [StoredEmail]
        var nextCursor: String?
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.key("items")
                json.array { json in
                    for email in items { EmailRepresentation(email: email).write(to: &json) }
                }
                json.member("next_cursor", nextCursor)
            }
        }
    }

    /// The outbox, newest first: `?status=`, `?limit=` (1-200, default 50), `?cursor=`.
    @Sendable func listEmails(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<EmailList> {
        _ = try context.requireAdmin()
        var status: EmailStatus?
        if let raw = request.query("status") {
            guard let parsed = EmailStatus(rawValue: raw) else {
                throw APIError.invalid("status", "status must be one of \(EmailStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = parsed
        }
        var limit = 50
        if let raw = request.query("limit") {
            guard let parsed = Int(raw), (1...200).contains(parsed) else { throw APIError.invalid("limit", "limit must be from 1 to 200") }
            limit = parsed
        }
        var before: (Int64, UUID)?
        if let raw = request.query("cursor"), !raw.isEmpty {
            let parts = raw.split(separator: "_")
            guard parts.count == 2, let ms = Int64(parts[0]), ms >= 0, let id = UUID(uuidString: String(parts[1])) else {
                throw APIError.invalid("cursor", "cursor must be a next_cursor of an earlier page")
            }
            before = (ms, id)
        }
        let items = try await catalog.pool.emails.list(status: status, before: before, limit: limit)
        let next = items.count == limit ? items.last.map { "\($0.createdAt.millisecondsSince1970)_\($0.id.uuidString.lowercased())" } : nil
        return JSONResponse(EmailList(items: items, nextCursor: next))
    }
}

/// One email of the outbox as the API shows it (never its link: that was only in the message).
struct EmailRepresentation: JSONRepresentable {
    var email: StoredEmail
    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("id", email.id.uuidString.lowercased())
            json.member("kind", email.kind.rawValue)
            json.member("status", email.status.rawValue)
            json.member("recipient", email.recipient)
            json.member("name", email.name)
            json.member("subject", email.subject)
            json.member("text", email.textBody)
            json.member("html", email.htmlBody)
            json.member("recording_id", email.recordingID?.uuidString.lowercased())
            json.member("share_id", email.shareID?.uuidString.lowercased())
            json.member("message_id", email.messageID)
            json.member("attempts", email.attempts)
            json.member("last_error", email.lastError)
            json.member("created_at", email.createdAt.rfc3339)
            json.member("updated_at", email.updatedAt.rfc3339)
            json.member("sent_at", email.sentAt?.rfc3339)
        }
    }
}
