import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// Who is looking at a page, by the cookies pages set: a signed-in admin (the dashboard's
/// session) or a viewer (the cookie a viewer link leaves). The pages and what they fetch for
/// themselves (grant renewal, search) recognise people the same way.
struct PageVisitors: Sendable {
    let catalog: Catalog
    let keys: PlaybackKeys

    static let viewerCookie = "tapedeck_viewer"

    /// The signed-in admin and their session cookie, if the key behind it is still active and
    /// the session was not signed out (a copied cookie dies with the logout too).
    func admin(_ request: Request) async throws -> (Principal, String)? {
        guard let cookie = request.cookies[AdminSession.cookie]?.value,
            let keyID = keys.adminSession.verify(cookie, now: catalog.clock.now()),
            let key = try await catalog.pool.apiKeys.find(id: keyID), key.revokedAt == nil,
            try await !catalog.pool.adminSessions.isEnded(sessionHash: AdminSession.hash(of: cookie))
        else { return nil }
        return (.admin(keyID: key.id, name: key.name, organizationID: key.organizationID), cookie)
    }

    /// The viewer whose link set the cookie, while their token is valid.
    func viewer(_ request: Request) async -> VerifiedViewer? {
        await ViewerTokenVerifier(catalog: catalog, keys: keys).verified(request.cookies[Self.viewerCookie]?.value)
    }
}
