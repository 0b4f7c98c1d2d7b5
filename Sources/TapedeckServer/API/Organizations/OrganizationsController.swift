import Foundation
import Hummingbird
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// `/v1/organizations`: tenants, their API keys and viewer-token secrets. Managing them takes a
/// global API key; an organization's key may read its own organization and nothing else (any
/// other id is the same 404 as one nobody has).
struct OrganizationsController {
    let catalog: Catalog
    /// Seals the organizations' viewer-token secrets (they must be recovered to verify tokens).
    let secrets: WebhookSecretBox
    /// Deleting an organization revokes its keys: forgotten here at once.
    let verifiedKeys: VerifiedKeys
    let maxBody: Int

    /// How long a rotated-out viewer secret is still accepted when the request does not say.
    static let defaultOverlapSeconds = 86_400
    static let maximumOverlapSeconds = 30 * 86_400

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.post("/organizations", use: create)
        group.get("/organizations", use: list)
        group.get("/organizations/{id}", use: show)
        group.patch("/organizations/{id}", use: update)
        group.delete("/organizations/{id}", use: delete)
        group.post("/organizations/{id}/keys", use: createKey)
        group.get("/organizations/{id}/keys", use: listKeys)
        group.post("/organizations/{id}/viewer-secrets/rotate", use: rotateViewerSecret)
        group.get("/organizations/{id}/usage", use: usage)
    }

    struct CreateBody: Decodable {
        var slug: String
        var name: String
        var accessRule: OrganizationAccessRule?
        var allowGlobalViewerSecret: Bool?
        var retainDays: Int?

        enum CodingKeys: String, CodingKey {
            case slug, name, accessRule = "access_rule", allowGlobalViewerSecret = "allow_global_viewer_secret",
                retainDays = "retain_days"
        }

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            slug = try c.decode(String.self, forKey: .slug)
            name = try c.decode(String.self, forKey: .name)
            accessRule = try c.decodeIfPresent(OrganizationAccessRule.self, forKey: .accessRule)
            allowGlobalViewerSecret = try c.decodeIfPresent(Bool.self, forKey: .allowGlobalViewerSecret)
            retainDays = try c.decodeIfPresent(Int.self, forKey: .retainDays)
        }
    }

    /// What `PATCH` may change; the slug stays (room names and tokens name it).
    struct UpdateBody: Decodable {
        var changes = OrganizationChanges()

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CreateBody.CodingKeys.self)
            let c = try decoder.container(keyedBy: CreateBody.CodingKeys.self)
            if c.contains(.slug) {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [CreateBody.CodingKeys.slug], debugDescription: "the slug of an organization cannot change"))
            }
            changes.name = try c.decodeIfPresent(String.self, forKey: .name)
            changes.accessRule = try c.decodeIfPresent(OrganizationAccessRule.self, forKey: .accessRule)
            changes.allowGlobalViewerSecret = try c.decodeIfPresent(Bool.self, forKey: .allowGlobalViewerSecret)
            if c.contains(.retainDays) {
                changes.retainDays = .some(try c.decodeNil(forKey: .retainDays) ? nil : try c.decode(Int.self, forKey: .retainDays))
            }
        }
    }

    static func checkName(_ name: String?) throws {
        guard let name else { return }
        try APIError.requirePlainText(name, field: "name")
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.unicodeScalars.count <= 200 else {
            throw APIError.invalid("name", "name must be 1 to 200 characters")
        }
    }

    static func checkRetention(_ days: Int?) throws {
        if let days, !(1...36_500).contains(days) {
            throw APIError.invalid("retain_days", "retain_days must be from 1 to 36500, or null for the global default")
        }
    }

    @Sendable func create(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<OrganizationRepresentation> {
        let principal = try context.requireAdmin()
        let body = try await request.decodeJSON(as: CreateBody.self, limit: maxBody)
        if let problem = OrganizationSlug.problem(body.slug) { throw APIError.invalid("slug", problem) }
        try Self.checkName(body.name)
        try Self.checkRetention(body.retainDays)
        let issued = IssuedViewerSecret.generate()
        let sealed = try secrets.seal(issued.secret)
        let created = try await catalog.transaction { tx -> Organization? in
            guard let organization = try await tx.organizations.create(
                slug: body.slug, name: body.name, accessRule: body.accessRule ?? .participants,
                allowGlobalViewerSecret: body.allowGlobalViewerSecret ?? false, retainDays: body.retainDays,
                viewerSecretKid: issued.kid, viewerSecretSealed: sealed)
            else { return nil }
            try await tx.events.append(
                NewAuditEvent(
                    type: "organization.created", actor: principal.actor,
                    data: ["organization_id": organization.id.uuidString.lowercased(), "slug": organization.slug]))
            return organization
        }
        guard let created else {
            throw APIError(.conflict, code: "slug_taken", message: "an organization with slug \(body.slug) exists", field: "slug")
        }
        return JSONResponse(
            OrganizationRepresentation(organization: created, viewerSecret: IssuedViewerSecret(kid: issued.kid, secret: issued.secret)),
            status: .created)
    }

    struct OrganizationList: JSONRepresentable {
        var items: [OrganizationRepresentation]
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("items", items)
                json.member("next_cursor", nil as String?)
            }
        }
    }

    @Sendable func list(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<OrganizationList> {
        let (_, scope) = try context.requireScopedAdmin()
        let organizations = try await catalog.pool.organizations.list().filter { scope.covers($0.id) }
        return JSONResponse(OrganizationList(items: organizations.map { OrganizationRepresentation(organization: $0) }))
    }

    /// The organization the path names, if the key may see it (an organization's key: its own).
    func organization(_ context: TapedeckRequestContext) async throws -> Organization {
        let (_, scope) = try context.requireScopedAdmin()
        let id = try context.uuidParameter("id")
        guard let organization = try await catalog.pool.organizations.find(id: id), scope.covers(organization.id) else {
            throw APIError.notFound("organization")
        }
        return organization
    }

    @Sendable func show(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<OrganizationRepresentation> {
        JSONResponse(OrganizationRepresentation(organization: try await organization(context)))
    }

    @Sendable func update(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<OrganizationRepresentation> {
        let principal = try context.requireAdmin()
        let id = try context.uuidParameter("id")
        let body = try await request.decodeJSON(as: UpdateBody.self, limit: maxBody)
        try Self.checkName(body.changes.name)
        try Self.checkRetention(body.changes.retainDays ?? nil)
        let updated = try await catalog.transaction { tx -> Organization? in
            guard let organization = try await tx.organizations.update(id: id, body.changes) else { return nil }
            try await tx.events.append(
                NewAuditEvent(
                    type: "organization.updated", actor: principal.actor,
                    data: [
                        "organization_id": organization.id.uuidString.lowercased(), "access_rule": organization.accessRule.rawValue,
                        "allow_global_viewer_secret": String(organization.allowGlobalViewerSecret),
                    ]))
            return organization
        }
        guard let updated else { throw APIError.notFound("organization") }
        return JSONResponse(OrganizationRepresentation(organization: updated))
    }

    /// Refused while rooms belong to the organization (their recordings would lose their
    /// tenant); otherwise its keys are revoked and its webhook endpoints deleted with it.
    @Sendable func delete(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let principal = try context.requireAdmin()
        let id = try context.uuidParameter("id")
        let outcome = try await catalog.transaction { tx -> OrganizationDeletion in
            let outcome = try await tx.organizations.delete(id: id)
            if outcome == .deleted {
                try await tx.events.append(
                    NewAuditEvent(type: "organization.deleted", actor: principal.actor, data: ["organization_id": id.uuidString.lowercased()]))
            }
            return outcome
        }
        switch outcome {
        case .deleted:
            verifiedKeys.forgetAll()
            return Response(status: .noContent)
        case .notFound: throw APIError.notFound("organization")
        case .hasRooms(let count):
            throw APIError.conflict(
                "organization_not_empty",
                "\(count) room(s) belong to this organization; move them elsewhere with PUT /v1/rooms/{name} first")
        }
    }

    struct KeyBody: Decodable {
        var name: String
        enum CodingKeys: String, CodingKey { case name }
        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            name = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .name)
        }
    }

    /// A key limited to the organization; its secret is in this answer only (stored hashed).
    @Sendable func createKey(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<OrganizationKeyRepresentation> {
        let principal = try context.requireAdmin()
        let id = try context.uuidParameter("id")
        let body = try await request.decodeJSON(as: KeyBody.self, limit: maxBody)
        try Self.checkName(body.name)
        guard body.name.unicodeScalars.count <= 100 else { throw APIError.invalid("name", "name must be 1 to 100 characters") }
        let created = try await catalog.transaction { tx -> (APIKey, APIKeyCredential)? in
            guard try await tx.organizations.find(id: id) != nil else { return nil }
            let (key, credential) = try await tx.apiKeys.create(name: body.name, organizationID: id)
            try await tx.events.append(
                NewAuditEvent(
                    type: "api_key.created", actor: principal.actor,
                    data: ["key_id": key.id.uuidString.lowercased(), "organization_id": id.uuidString.lowercased()]))
            return (key, credential)
        }
        guard let (key, credential) = created else { throw APIError.notFound("organization") }
        return JSONResponse(OrganizationKeyRepresentation(key: key, token: credential.token), status: .created)
    }

    struct KeyList: JSONRepresentable {
        var items: [OrganizationKeyRepresentation]
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("items", items)
                json.member("next_cursor", nil as String?)
            }
        }
    }

    @Sendable func listKeys(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<KeyList> {
        _ = try context.requireAdmin()
        let organization = try await organization(context)
        let keys = try await catalog.pool.apiKeys.list(organizationID: organization.id)
        return JSONResponse(KeyList(items: keys.map { OrganizationKeyRepresentation(key: $0) }))
    }

    struct RotateBody: Decodable {
        var overlapS: Int?
        enum CodingKeys: String, CodingKey { case overlapS = "overlap_s" }
        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            overlapS = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .overlapS)
        }
    }

    /// A new viewer secret, shown once; tokens signed with the earlier ones are accepted for
    /// `overlap_s` more seconds (0 ends them at once), so the organization's backend can switch.
    @Sendable func rotateViewerSecret(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<IssuedViewerSecret> {
        let principal = try context.requireAdmin()
        let id = try context.uuidParameter("id")
        let body = try await request.decodeJSON(as: RotateBody.self, limit: maxBody)
        let overlap = body.overlapS ?? Self.defaultOverlapSeconds
        guard (0...Self.maximumOverlapSeconds).contains(overlap) else {
            throw APIError.invalid("overlap_s", "overlap_s must be from 0 to \(Self.maximumOverlapSeconds) seconds")
        }
        let issued = IssuedViewerSecret.generate()
        let sealed = try secrets.seal(issued.secret)
        let retireAt = catalog.clock.now().addingTimeInterval(TimeInterval(overlap))
        let rotated = try await catalog.transaction { tx -> Bool in
            guard try await tx.organizations.find(id: id) != nil else { return false }
            try await tx.organizations.addViewerSecret(organizationID: id, kid: issued.kid, sealed: sealed, retireOthersAt: retireAt)
            try await tx.events.append(
                NewAuditEvent(
                    type: "organization.viewer_secret_rotated", actor: principal.actor,
                    data: ["organization_id": id.uuidString.lowercased(), "kid": issued.kid, "overlap_s": String(overlap)]))
            return true
        }
        guard rotated else { throw APIError.notFound("organization") }
        return JSONResponse(IssuedViewerSecret(kid: issued.kid, secret: issued.secret, previousExpireAt: retireAt), status: .created)
    }

    struct UsageRepresentation: JSONRepresentable {
        var organization: Organization
        var days: [UsageDay]
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("organization_id", organization.id.uuidString.lowercased())
                json.member("from", days.first?.date)
                json.member("to", days.last?.date)
                json.key("days")
                json.array { json in
                    for day in days {
                        json.object { json in
                            json.member("date", day.date)
                            json.key("hours_recorded")
                            json.double((day.hoursRecorded * 1000).rounded() / 1000)
                            json.member("bytes_stored", day.bytesStored)
                            json.member("views", day.views)
                            json.member("failed_recordings", day.failedRecordings)
                        }
                    }
                }
            }
        }
    }

    /// `?from=&to=` (UTC days, `YYYY-MM-DD`, both included; the last 30 days when left out):
    /// hours recorded, bytes stored at each day's end, views and failed recordings, per day.
    @Sendable func usage(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<UsageRepresentation> {
        let organization = try await organization(context)
        let today = OrganizationUsage.dayStart(OrganizationUsage.dayText(catalog.clock.now()))!
        func day(_ name: String, default value: Date) throws -> Date {
            guard let raw = request.query(name) else { return value }
            guard let date = OrganizationUsage.dayStart(raw) else {
                throw APIError.invalid(name, "\(name) must be a date such as 2026-01-31 (UTC)")
            }
            return date
        }
        let to = try day("to", default: today)
        let from = try day("from", default: to.addingTimeInterval(-29 * 86_400))
        let days = Int((to.timeIntervalSince(from) / 86_400).rounded()) + 1
        guard days >= 1 else { throw APIError.invalid("from", "from must not be after to") }
        guard days <= OrganizationUsage.maximumDays else {
            throw APIError.invalid("to", "at most \(OrganizationUsage.maximumDays) days at once")
        }
        let end = to.addingTimeInterval(86_400)
        let facts = try await catalog.pool.organizations.usageFacts(organizationID: organization.id, from: from, to: end)
        return JSONResponse(
            UsageRepresentation(
                organization: organization,
                days: OrganizationUsage.aggregate(recordings: facts.recordings, views: facts.views, from: from, days: days)))
    }
}
