import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `GET /recordings/{id}/grant` and `GET /s/{token}/grant`: a fresh playback grant for a player
/// page still open when its links near their expiry (a paused lecture), asked for with what the
/// page was opened with: the admin's or the viewer's cookie; the share link, with the cookie its
/// passcode left. Each grant is audited as `playback.granted`.
///
/// For the page itself only: the answer is JSON with no CORS headers, so another site's page
/// cannot read it, and a request the browser marks as coming from another site is refused before
/// anything is granted or audited.
struct GrantRenewalController {
    let grants: PlaybackGrants
    let shares: ShareService
    let visitors: PageVisitors
    var catalog: Catalog { grants.catalog }
    var keys: PlaybackKeys { grants.keys }

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/recordings/{id}/grant", use: recordingGrant)
        router.get("/s/{token}/grant", use: shareGrant)
    }

    @Sendable func recordingGrant(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        try Self.requireSameSite(request)
        let id = try context.uuidParameter("id")
        let principal: Principal, via: String
        if let (admin, _) = try await visitors.admin(request) {
            (principal, via) = (admin, "dashboard renewal")
        } else if let viewer = await visitors.viewer(request) {
            (principal, via) = (.viewer(viewer), "web page renewal")
        } else {
            throw APIError(.unauthorized, code: "unauthorized", message: "sign in again, or open the link you were given again")
        }
        let (recording, role) = try await RecordingAccess.viewable(id, by: principal, catalog: catalog)
        try PlaybackGrants.requirePlayable(recording)
        let grant = try await grants.makeGrant(
            recording, allowDownload: true, grantee: principal.actor, chat: PlaybackGrants.mayReadChat(role))
        var audited = context
        audited.principal = principal
        try await grants.audit(
            recording, type: "playback.granted", actor: principal.actor,
            data: ["via": via, "expires_at": grant.expiresAt.rfc3339], request: request, context: audited)
        return Self.answer(grant)
    }

    @Sendable func shareGrant(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        try Self.requireSameSite(request)
        let gone = APIError(.gone, code: "share_expired", message: "this share link has expired or was revoked")
        switch try await shares.open(token: context.parameters.get("token") ?? "", viewer: await visitors.viewer(request)) {
        case .notFound:
            throw APIError(.notFound, code: "share_not_found", message: "no such share link")
        case .gone:
            throw gone
        case .someoneElse:
            throw APIError(.forbidden, code: "email_mismatch", message: "this share is for another person")
        case .open(let share, let actor):
            if share.passcodeHash != nil,
                !keys.shareSession.admits(request.cookies[ShareSession.cookie]?.value, to: share, now: catalog.clock.now())
            {
                throw APIError(.unauthorized, code: "passcode_required", message: "open the share link again and enter its passcode")
            }
            guard let recording = try await shares.recording(of: share) else { throw gone }
            try PlaybackGrants.requirePlayable(recording)
            let grant = try await grants.makeGrant(recording, allowDownload: share.allowDownload, grantee: actor, share: share)
            try await grants.audit(
                recording, type: "playback.granted", actor: actor,
                data: ["via": "share page renewal", "share_id": share.id.uuidString.lowercased(), "expires_at": grant.expiresAt.rfc3339],
                request: request, context: context)
            return Self.answer(grant)
        }
    }

    /// Browsers say where a request comes from (`Sec-Fetch-Site`): only the page's own origin, or
    /// the viewer typing the address, may ask. Where a browser sends no such header, another
    /// site's page still cannot read the answer, and its requests carry no SameSite cookie.
    static func requireSameSite(_ request: Request) throws {
        guard let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" else { return }
        throw APIError(.forbidden, code: "cross_site", message: "a playback grant is only renewed for the page itself")
    }

    static func answer(_ grant: PlaybackGrants.Grant) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: PlayerPage.json(grant))))
    }
}
