import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// The viewer's pages: `/recordings/{id}` (the player; `?token=` exchanges a viewer token for a
/// cookie) and `/s/{token}` (a share link, with its passcode form when it has one).
struct WebPagesController {
    let catalog: Catalog
    let grants: PlaybackGrants
    let player: PlayerPage
    let shares: ShareService
    let keys: PlaybackKeys
    let renderer: PageRenderer
    var visitors: PageVisitors { PageVisitors(catalog: catalog, keys: keys) }

    /// `/recordings/{id}` is routed by the admin pages, which hand viewers to ``recordingPage``.
    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/s/{token}", use: sharePage)
        router.post("/s/{token}", use: sharePage)
    }

    var secureCookies: Bool { keys.publicURL.lowercased().hasPrefix("https://") }

    func recordingPage(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else { return player.notFound() }
        let now = catalog.clock.now()
        if let token = request.uri.queryParameters.get("token") {
            // Exchange the link's token for a cookie, then show the clean URL (no token in history or logs).
            guard let claims = await ViewerTokenVerifier(catalog: catalog, keys: keys).verified(token)?.claims else {
                return renderer.message(
                    title: "Link expired", message: "This link has expired or is not valid.",
                    detail: "Ask whoever sent it for a new one.", status: .unauthorized)
            }
            let maxAge = max(0, Int(claims.exp - now.timeIntervalSince1970))
            var headers = HTTPFields()
            headers[.location] = "/recordings/\(id.uuidString.lowercased())"
            headers[.setCookie] =
                "\(PageVisitors.viewerCookie)=\(token); Path=/; Max-Age=\(maxAge); HttpOnly; SameSite=Lax\(secureCookies ? "; Secure" : "")"
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
        guard let claims = await visitors.viewer(request) else {
            return requestLinkPage(
                id, message: "You need a link from the meeting's organiser to watch this recording.",
                detail: "If you had one, it may have expired: ask for a new link.", status: .unauthorized)
        }
        let principal = Principal.viewer(claims)
        let recording: Recording, role: RecordingAccess.Role
        do {
            (recording, role) = try await RecordingAccess.viewable(id, by: principal, catalog: catalog)
        } catch {
            // The same page whether the recording exists or not: ids cannot be probed.
            return requestLinkPage(
                id, message: "This recording is not available to you.",
                detail: "Only the people who were in the session, and those it was shared with, can watch it.",
                status: .forbidden)
        }
        if let page = statusPage(recording) { return page }
        let grant = try await grants.makeGrant(
            recording, allowDownload: true, grantee: principal.actor, chat: PlaybackGrants.mayReadChat(role))
        var audited = context
        audited.principal = principal
        try await grants.audit(
            recording, type: "playback.granted", actor: principal.actor, data: ["via": "web page"], request: request,
            context: audited)
        return try await player.render(
            recording, grant: grant, renewal: PlayerPage.renewalPath(recording), extra: ["searchable": true])
    }

    @Sendable func sharePage(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let token = context.parameters.get("token") ?? ""
        let now = catalog.clock.now()
        let share: Share, shareActor: String
        switch try await shares.open(token: token, viewer: await visitors.viewer(request)) {
        case .notFound:
            return player.notFound()
        case .gone:
            return renderer.message(
                title: "Link expired", message: "This share link has expired or was revoked.",
                detail: "Ask whoever shared it for a new one.", status: .gone)
        case .someoneElse:
            return renderer.message(
                title: "Access denied", message: "This recording was shared with a specific person.",
                detail: "Open it from the link in your own account.", status: .forbidden)
        case .open(let opened, let actor):
            (share, shareActor) = (opened, actor)
        }
        var sessionCookie: String?
        if share.passcodeHash != nil {
            let action = "/s/\(token)"
            guard request.method == .post else {
                return renderer.page("passcode", ["title": "Enter the passcode", "action": action])
            }
            let outcome = try await shares.passcodes.check(share) {
                try await FormBody.read(request, limit: 4096)["passcode"] ?? ""
            }
            switch outcome {
            case .accepted:
                // Lets this page renew its links later without the passcode (see ShareSession).
                let session = keys.shareSession.issue(for: share, now: now)
                sessionCookie =
                    "\(ShareSession.cookie)=\(session.value); Path=/s/\(token); Max-Age=\(session.maxAge); HttpOnly; SameSite=Strict"
                    + (secureCookies ? "; Secure" : "")
            case .refused(let wait):
                var headers = HTTPFields()
                headers[.retryAfter] = String(wait)
                return renderer.page(
                    "passcode", ["title": "Enter the passcode", "action": action, "error": "Too many wrong tries: wait \(wait) seconds."],
                    status: .tooManyRequests, headers: headers)
            case .missing, .wrong:
                return renderer.page(
                    "passcode", ["title": "Enter the passcode", "action": action, "error": "That passcode is not right."],
                    status: .unauthorized)
            }
        }
        guard let recording = try await shares.recording(of: share) else {
            return renderer.message(title: "Link expired", message: "The shared recording no longer exists.", status: .gone)
        }
        if let page = statusPage(recording) { return page }
        let grant = try await grants.makeGrant(recording, allowDownload: share.allowDownload, grantee: shareActor, share: share)
        try await catalog.pool.shares.countView(id: share.id)
        try await grants.audit(
            recording, type: "share.used", actor: shareActor,
            data: ShareService.usedData(share, via: "web page"), request: request, context: context)
        var page = try await player.render(recording, grant: grant, renewal: "/s/\(token)/grant")
        if let sessionCookie { page.headers[.setCookie] = sessionCookie }
        return page
    }

    /// Access denied, with the form that asks for a link by email (the same page whether the
    /// recording exists or not).
    func requestLinkPage(_ id: UUID, message: String, detail: String, status: HTTPResponse.Status) -> Response {
        renderer.page(
            "request-link",
            [
                "title": "Access denied", "message": message, "detail": detail, "isError": true,
                "action": "/recordings/\(id.uuidString.lowercased())/request-link",
            ], status: status)
    }

    /// The page for a recording that cannot be played (yet), or `nil` when it can.
    func statusPage(_ recording: Recording) -> Response? {
        switch recording.status {
        case .ready:
            return nil
        case .failed, .aborted:
            return renderer.message(
                title: "Recording failed", message: "This recording could not be completed.",
                detail: recording.error.map { "Reason: \($0)" }, status: .ok)
        case .deleted:
            return player.notFound()
        default:
            return renderer.message(
                title: "Still processing", message: "The recording is \(recording.status.rawValue). It will be ready soon.",
                status: .ok, refreshSeconds: 5)
        }
    }

}
