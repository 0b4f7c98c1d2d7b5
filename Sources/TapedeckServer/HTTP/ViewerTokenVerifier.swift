import Foundation
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// A viewer's organization, as the key that signed their token proves it.
public struct ViewerOrganization: Sendable, Equatable {
    public var id: UUID
    public var role: OrganizationRole
}

/// A viewer token that passed every check, with the organization it is good for.
struct VerifiedViewer: Sendable, Equatable {
    var claims: ViewerClaims
    /// `nil`: a token of the installation's own secret, for rooms outside organizations (and the
    /// rooms of organizations that allow it).
    var organization: ViewerOrganization?
}

/// Checks viewer tokens: signed with the installation's `TAPEDECK_VIEWER_SECRET`, or with one of
/// an organization's secrets, named by `kid` in the token's header.
///
/// One tenant's backend must not mint tokens for another, so a token claiming an organization
/// (`org`) is believed only when signed with that organization's key, or with the global
/// secret when the organization allows it. A `kid` that is unknown or past its rotation
/// overlap, a key of another organization than the claimed one, and a bad signature are all
/// the same rejection (`badSignature`): the answer does not tell which keys exist.
struct ViewerTokenVerifier: Sendable {
    let catalog: Catalog
    let globalSecret: [UInt8]
    /// Opens the organizations' sealed viewer secrets.
    let box: WebhookSecretBox

    init(catalog: Catalog, keys: PlaybackKeys) {
        self.catalog = catalog
        self.globalSecret = keys.viewerSecret
        self.box = keys.organizationSecrets
    }

    func verify(_ token: String) async throws -> VerifiedViewer {
        let now = catalog.clock.now()
        if let kid = HS256JWT.keyID(token) {
            guard kid.utf8.count <= 100, let stored = try await catalog.pool.organizations.viewerSecret(kid: kid),
                stored.isAccepted(at: now), let secret = try? box.open(stored.secretSealed),
                let organization = try await catalog.pool.organizations.find(id: stored.organizationID)
            else { throw ViewerToken.Rejection.badSignature }
            let claims = try ViewerToken.verify(token, secret: Array(secret.utf8), now: now)
            guard claims.org == nil || claims.org == organization.slug else { throw ViewerToken.Rejection.badSignature }
            return VerifiedViewer(claims: claims, organization: ViewerOrganization(id: organization.id, role: try Self.role(claims)))
        }
        let claims = try ViewerToken.verify(token, secret: globalSecret, now: now)
        guard let slug = claims.org else { return VerifiedViewer(claims: claims, organization: nil) }
        guard OrganizationSlug.problem(slug) == nil, let organization = try await catalog.pool.organizations.find(slug: slug),
            organization.allowGlobalViewerSecret
        else { throw ViewerToken.Rejection.badSignature }
        return VerifiedViewer(claims: claims, organization: ViewerOrganization(id: organization.id, role: try Self.role(claims)))
    }

    /// Like ``verify(_:)``, `nil` for any token that does not pass.
    func verified(_ token: String?) async -> VerifiedViewer? {
        guard let token else { return nil }
        return try? await verify(token)
    }

    static func role(_ claims: ViewerClaims) throws -> OrganizationRole {
        guard let raw = claims.orgRole else { return .member }
        guard let role = OrganizationRole(rawValue: raw) else {
            throw ViewerToken.Rejection.invalidClaims("org_role must be member or admin")
        }
        return role
    }
}
