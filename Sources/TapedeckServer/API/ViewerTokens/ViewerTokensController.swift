import Foundation
import Hummingbird
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// `POST /v1/viewer-tokens`: a viewer token minted by Tapedeck, for backends that would rather
/// not hold the viewer secret.
struct ViewerTokensController {
    let catalog: Catalog
    let keys: PlaybackKeys
    let clock: any Clock
    let maxBody: Int

    static let defaultLifetime = 3600
    static let maximumLifetime = 7 * 86_400

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.post("/viewer-tokens", use: create)
    }

    struct Body: Decodable {
        var sub: String
        var name: String?
        var email: String?
        var expiresIn: Int?
        /// With an organization's key: the viewer's role in it.
        var orgRole: OrganizationRole?
        enum CodingKeys: String, CodingKey { case sub, name, email, expiresIn = "expires_in", orgRole = "org_role" }

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            sub = try c.decode(String.self, forKey: .sub)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            email = try c.decodeIfPresent(String.self, forKey: .email)
            expiresIn = try c.decodeIfPresent(Int.self, forKey: .expiresIn)
            orgRole = try c.decodeIfPresent(OrganizationRole.self, forKey: .orgRole)
        }
    }

    struct Issued: JSONRepresentable {
        var token: String
        var expiresAt: Date
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("token", token)
                json.member("expires_at", expiresAt.rfc3339)
            }
        }
    }

    @Sendable func create(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Issued> {
        let (_, scope) = try context.requireScopedAdmin()
        let body = try await request.decodeJSON(as: Body.self, limit: maxBody)
        guard !body.sub.isEmpty, body.sub.unicodeScalars.count <= ViewerToken.maximumIdentityLength,
            !body.sub.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw APIError.invalid("sub", "sub (the participant identity) must be 1 to 256 characters without control characters") }
        if let name = body.name, name.unicodeScalars.count > 256 { throw APIError.invalid("name", "name must be at most 256 characters") }
        if let email = body.email, email.unicodeScalars.count > 320 || !email.contains("@") {
            throw APIError.invalid("email", "email must be an address (with @) of at most 320 characters")
        }
        let lifetime = body.expiresIn ?? Self.defaultLifetime
        guard (60...Self.maximumLifetime).contains(lifetime) else {
            throw APIError.invalid("expires_in", "expires_in must be from 60 to \(Self.maximumLifetime) seconds")
        }
        let now = clock.now()
        let expires = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(lifetime)).rounded(.down))
        var claims = ViewerClaims(
            sub: body.sub, name: body.name, email: body.email, exp: expires.timeIntervalSince1970,
            iat: now.timeIntervalSince1970.rounded(.down))
        let token: String
        if let organizationID = scope.organizationID {
            // An organization's key mints its organization's tokens, with its current secret.
            guard let organization = try await catalog.pool.organizations.find(id: organizationID),
                let current = try await catalog.pool.organizations.viewerSecrets(organizationID: organizationID).first(where: {
                    $0.isAccepted(at: now)
                })
            else { throw APIError.unavailable("the organization has no usable viewer secret; rotate it", retryAfterSeconds: 60) }
            claims.org = organization.slug
            claims.orgRole = (body.orgRole ?? .member).rawValue
            token = try HS256JWT.sign(claims, secret: Array(try keys.organizationSecrets.open(current.secretSealed).utf8), kid: current.kid)
        } else {
            guard body.orgRole == nil else {
                throw APIError.invalid("org_role", "org_role is for tokens an organization's key mints")
            }
            token = try ViewerToken.mint(claims, secret: keys.viewerSecret)
        }
        // The identity's address, for invitations (`notify: participants`) and link requests;
        // only from the installation's own keys (see `MyPageController`).
        if scope.organizationID == nil, let email = body.email, EmailAddress.problem(email) == nil {
            try await catalog.pool.viewerEmails.remember(identity: body.sub, email: email)
        }
        return JSONResponse(Issued(token: token, expiresAt: expires), status: .created)
    }
}
