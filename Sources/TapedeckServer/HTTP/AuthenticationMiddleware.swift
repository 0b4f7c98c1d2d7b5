import Foundation
import HTTPTypes
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// Establishes who is calling from `Authorization: Bearer <credential>`.
///
/// A missing, malformed, unknown or revoked credential is a 401 with the same message in every
/// case, so the answer does not tell a prober which keys exist.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = TapedeckRequestContext
    let catalog: Catalog
    let keys: VerifiedKeys
    /// Viewer tokens are accepted when set.
    let viewers: ViewerTokenVerifier?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let token = Self.bearerToken(request.headers[.authorization]) else { throw APIError.unauthorized }
        var context = context
        if let credential = APIKeyCredential.parse(token) {
            guard let key = try await keys.authenticate(credential, catalog: catalog) else { throw APIError.unauthorized }
            context.principal = .admin(keyID: key.id, name: key.name, organizationID: key.organizationID)
        } else if let viewers, token.contains(".") {
            let claims: VerifiedViewer
            do {
                claims = try await viewers.verify(token)
            } catch {
                // Expiry is worth telling (the viewer's app should fetch a new token); the rest is not.
                if case ViewerToken.Rejection.expired? = error as? ViewerToken.Rejection {
                    throw APIError(.unauthorized, code: "token_expired", message: "the viewer token has expired")
                }
                throw APIError.unauthorized
            }
            context.principal = .viewer(claims)
        } else {
            throw APIError.unauthorized
        }
        context.logger[metadataKey: "principal"] = .string(context.principal!.actor)
        return try await next(request, context)
    }

    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

extension TapedeckRequestContext {
    /// A global admin key's principal: 401 for viewers, 403 for an organization's key (the route
    /// manages the whole installation, not one organization's rooms).
    func requireAdmin() throws -> Principal {
        let (principal, scope) = try requireScopedAdmin()
        guard scope == .global else { throw APIError.globalKeyRequired }
        return principal
    }

    /// Any admin key's principal and what it may see, or 401. Routes that call this must limit
    /// what they read and change to `scope` (see ``AdminScope``).
    func requireScopedAdmin() throws -> (Principal, AdminScope) {
        guard let principal, let scope = principal.adminScope else { throw APIError.unauthorized }
        return (principal, scope)
    }
}
