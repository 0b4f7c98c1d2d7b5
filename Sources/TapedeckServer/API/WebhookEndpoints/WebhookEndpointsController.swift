import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `/v1/webhook-endpoints`: where Tapedeck sends its events, and each endpoint's delivery log.
/// Admin only.
struct WebhookEndpointsController {
    let catalog: Catalog
    let secrets: WebhookSecretBox
    let maxBody: Int

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.post("/webhook-endpoints", use: create)
        group.get("/webhook-endpoints", use: list)
        group.get("/webhook-endpoints/{id}", use: show)
        group.delete("/webhook-endpoints/{id}", use: delete)
        group.get("/webhook-endpoints/{id}/deliveries", use: deliveries)
    }

    struct Body: Decodable {
        var url: String
        var events: [String]?
        var secret: String?
        var description: String?
        enum CodingKeys: String, CodingKey { case url, events, secret, description }

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            url = try c.decode(String.self, forKey: .url)
            events = try c.decodeIfPresent([String].self, forKey: .events)
            secret = try c.decodeIfPresent(String.self, forKey: .secret)
            description = try c.decodeIfPresent(String.self, forKey: .description)
        }
    }

    struct EndpointRepresentation: JSONRepresentable {
        var endpoint: WebhookEndpoint
        /// Only in the answer to its creation: afterwards it exists only sealed.
        var secret: String?

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("id", endpoint.id.uuidString.lowercased())
                json.member("url", endpoint.url)
                json.member("events", endpoint.events.map(\.rawValue))
                json.member("description", endpoint.description)
                if let secret { json.member("secret", secret) }
                json.member("created_at", endpoint.createdAt.rfc3339)
            }
        }
    }

    struct DeliveryRepresentation: JSONRepresentable {
        var delivery: WebhookDelivery

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("id", delivery.id.uuidString.lowercased())
                json.member("event_id", delivery.eventID.uuidString.lowercased())
                json.member("event_type", delivery.eventType)
                json.member("status", delivery.status.rawValue)
                json.member("attempts", delivery.attempts)
                json.member("last_status_code", delivery.lastStatusCode)
                json.member("last_error", delivery.lastError)
                json.member("next_attempt_at", delivery.nextAttemptAt?.rfc3339)
                json.member("delivered_at", delivery.deliveredAt?.rfc3339)
                json.member("created_at", delivery.createdAt.rfc3339)
                json.member("updated_at", delivery.updatedAt.rfc3339)
            }
        }
    }

    @Sendable func create(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<EndpointRepresentation> {
        let (principal, scope) = try context.requireScopedAdmin()
        let body = try await request.decodeJSON(as: Body.self, limit: maxBody)
        let spec: WebhookEndpointSpec
        switch WebhookEndpointSpec.validate(url: body.url, events: body.events, description: body.description) {
        case .success(let valid): spec = valid
        case .failure(let problem): throw APIError.invalid(problem.field, problem.message)
        }
        if let chosen = body.secret, let problem = WebhookEndpointSpec.validateSecret(chosen) {
            throw APIError.invalid(problem.field, problem.message)
        }
        let secret = body.secret ?? "whsec_" + RandomToken.base62(length: 40)
        let sealed = try secrets.seal(secret)
        let endpoint = try await catalog.transaction { tx in
            let endpoint = try await tx.webhooks.createEndpoint(
                url: spec.url, events: spec.events, description: spec.description, secretSealed: sealed,
                createdBy: principal.actor, organizationID: scope.organizationID)
            try await tx.events.append(
                NewAuditEvent(
                    type: "webhook_endpoint.created", actor: principal.actor,
                    data: ["endpoint_id": endpoint.id.uuidString.lowercased(), "url": endpoint.url]))
            return endpoint
        }
        return JSONResponse(EndpointRepresentation(endpoint: endpoint, secret: secret), status: .created)
    }

    @Sendable func list(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Page<EndpointRepresentation>> {
        let (_, scope) = try context.requireScopedAdmin()
        let endpoints = try await catalog.pool.webhooks.endpoints().filter { scope.covers($0.organizationID) }
        return JSONResponse(Page(items: endpoints.map { EndpointRepresentation(endpoint: $0) }, nextCursor: nil))
    }

    /// The endpoint the path names, when the key's scope covers it (a global key's endpoints are
    /// not an organization's): otherwise the same 404 as an id nobody has.
    func endpoint(_ context: TapedeckRequestContext) async throws -> WebhookEndpoint {
        let (_, scope) = try context.requireScopedAdmin()
        let id = try context.uuidParameter("id")
        guard let endpoint = try await catalog.pool.webhooks.endpoint(id: id), scope.covers(endpoint.organizationID) else {
            throw APIError.notFound("webhook endpoint")
        }
        return endpoint
    }

    @Sendable func show(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<EndpointRepresentation> {
        JSONResponse(EndpointRepresentation(endpoint: try await endpoint(context)))
    }

    @Sendable func delete(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let (principal, _) = try context.requireScopedAdmin()
        let id = try await endpoint(context).id
        let deleted = try await catalog.transaction { tx in
            guard try await tx.webhooks.deleteEndpoint(id: id) else { return false }
            try await tx.events.append(
                NewAuditEvent(type: "webhook_endpoint.deleted", actor: principal.actor, data: ["endpoint_id": id.uuidString.lowercased()]))
            return true
        }
        guard deleted else { throw APIError.notFound("webhook endpoint") }
        return Response(status: .noContent)
    }

    /// The delivery log, newest first: status, attempts, the last status code and error.
    @Sendable func deliveries(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Page<DeliveryRepresentation>> {
        let endpoint = try await endpoint(context)
        let limit = try request.limit()
        let scope = KeysetCursor.scope("webhook-deliveries", filters: ["endpoint": endpoint.id.uuidString.lowercased()])
        let before = try request.cursor(scope: scope).map { cursor -> (createdAt: Int64, id: UUID) in
            guard let id = UUID(uuidString: cursor.tiebreaker) else {
                throw APIError.invalid("cursor", "cursor is not valid; use next_cursor from a previous page", code: "invalid_cursor")
            }
            return (cursor.sortValue, id)
        }
        let rows = try await catalog.pool.webhooks.deliveries(endpointID: endpoint.id, before: before, limit: limit + 1)
        let page = Array(rows.prefix(limit))
        let next = rows.count > limit ? page.last.map { last in
            KeysetCursor(scope: scope, sortValue: last.createdAt.millisecondsSince1970, tiebreaker: last.id.uuidString).encode()
        } : nil
        return JSONResponse(Page(items: page.map(DeliveryRepresentation.init), nextCursor: next))
    }
}
