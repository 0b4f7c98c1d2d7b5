import Foundation
import HTTPTypes
import Hummingbird
import ObjectStorage
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// `/my`: a viewer's own page, reached like the player (`?token=<viewer token>` exchanged for the
/// viewer cookie), listing every recording they may watch (``RecordingAccess``: their sessions',
/// and their organization's where its rule lets them) and those they were invited to by the
/// email their token carries. Also the form on a recording's page that asks for
/// a link by email (`POST /recordings/{id}/request-link`).
struct MyPageController {
    let catalog: Catalog
    let store: any ObjectStore
    let shares: ShareService
    let keys: PlaybackKeys
    let renderer: PageRenderer
    let accessRequests: AccessRequestsController
    var visitors: PageVisitors { PageVisitors(catalog: catalog, keys: keys) }

    /// How long the share behind an invited recording's row lasts: one viewing, not a new invitation.
    static let viewingShareLifetime = 12 * 3600

    /// The most rows the page lists (newest first; the search box finds older ones).
    static let listLimit = 200

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/my", use: myPage)
        router.get("/my/recordings/{id}", use: openInvited)
        router.post("/recordings/{id}/request-link", use: requestLink)
    }

    var secureCookies: Bool { keys.publicURL.lowercased().hasPrefix("https://") }

    @Sendable func myPage(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let now = catalog.clock.now()
        if let token = request.uri.queryParameters.get("token") {
            guard let claims = await ViewerTokenVerifier(catalog: catalog, keys: keys).verified(String(token))?.claims else {
                return renderer.message(
                    title: "Link expired", message: "This link has expired or is not valid.",
                    detail: "Ask whoever sent it for a new one.", status: .unauthorized)
            }
            var headers = HTTPFields()
            headers[.location] = "/my"
            headers[.setCookie] =
                "\(PageVisitors.viewerCookie)=\(token); Path=/; Max-Age=\(max(0, Int(claims.exp - now.timeIntervalSince1970))); HttpOnly; SameSite=Lax"
                + (secureCookies ? "; Secure" : "")
            headers[.cacheControl] = "no-store"
            return Response(status: .seeOther, headers: headers)
        }
        guard let viewer = await visitors.viewer(request) else {
            return renderer.message(
                title: "Your recordings", message: "Open this page from the link you were given.",
                detail: "It may have expired: ask for a new one.", status: .unauthorized)
        }
        let claims = viewer.claims
        let email = claims.email.flatMap { EmailAddress.problem($0) == nil ? EmailAddress.normalize($0) : nil }
        // Identities are one namespace across organizations: only the installation's own tokens
        // may say whose address an identity is, or one tenant could have another's participants'
        // links mailed to itself.
        if let email, viewer.organization == nil { try await catalog.pool.viewerEmails.remember(identity: claims.sub, email: email) }
        let query = request.uri.queryParameters.get("q").map { String($0).trimmingCharacters(in: .whitespaces) }
        let search = query.flatMap { $0.isEmpty || PlainText.hasControlCharacters($0) ? nil : String($0.prefix(200)) }
        // What this token speaks for only, in the statement (RecordingAccess.reach): another
        // organization's token naming the same identity or email learns nothing of this
        // organization's recordings.
        let reach = try await RecordingAccess.reach(
            identity: claims.sub, organization: viewer.organization, invitedEmail: email, catalog: catalog)
        let listings = try await catalog.pool.recordings.visibleToViewer(reach, search: search, limit: Self.listLimit)
        var items: [[String: Any]] = []
        for listing in listings {
            let recording = listing.recording
            let id = recording.id.uuidString.lowercased()
            // What they may watch opens the player; what they were only invited to, a share.
            var item: [String: Any] = [
                "id": id, "room": recording.roomName, "status": recording.status.rawValue,
                "date": PlayerPage.readableDate(recording.startedAt ?? recording.createdAt),
                "duration": recording.durationMs.map(PlayerPage.readableDuration) ?? "",
                "url": listing.watchable ? "/recordings/\(id)" : "/my/recordings/\(id)", "invited": !listing.watchable,
                "paused": recording.pausedAt != nil,
            ]
            if let title = recording.title, !title.isEmpty { item["recordingTitle"] = title }
            if let thumbnail = recording.assets.first(where: { $0.kind == .thumbnail }) {
                item["thumbnailURL"] = try? await store.signedURL(try ObjectKey(thumbnail.key), expiresIn: 3600, overrides: .init())
            }
            items.append(item)
        }
        return renderer.page(
            "my",
            [
                "title": "Your recordings", "name": claims.name ?? claims.email ?? claims.sub, "q": search ?? "", "items": items,
                "hasItems": !items.isEmpty,
            ])
    }

    /// An invited recording from `/my`: a share bound to the viewer's email (their cookie opens
    /// it) for one viewing, then its page. Recordings of their own sessions go to the player.
    @Sendable func openInvited(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let denied = renderer.message(
            title: "Access denied", message: "This recording is not available to you.", status: .forbidden)
        guard let viewer = await visitors.viewer(request) else {
            return renderer.message(title: "Your recordings", message: "Open this page from the link you were given.", status: .unauthorized)
        }
        let claims = viewer.claims
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let recording = try await catalog.pool.recordings.find(id: id), recording.status != .deleted,
            let room = try await catalog.pool.rooms.find(id: recording.roomID),
            try await RecordingAccess.tokenCovers(room, organization: viewer.organization, catalog: catalog)
        else { return denied }
        if try await RecordingAccess.mayWatch(recording, identity: claims.sub, organization: viewer.organization, catalog: catalog) {
            return Self.redirect("/recordings/\(id.uuidString.lowercased())")
        }
        guard let email = claims.email, EmailAddress.problem(email) == nil,
            try await catalog.pool.invitees.isInvited(email: email, recordingID: recording.id, roomID: recording.roomID)
        else { return denied }
        let (_, url) = try await shares.createShare(
            recording: recording, expiresIn: min(Self.viewingShareLifetime, shares.maximumLifetime), email: email, passcode: nil,
            allowDownload: false, actor: "viewer:\(claims.sub)")
        return Self.redirect(String(url.dropFirst(keys.publicURL.count)))
    }

    /// The recording page's "send me a link" form: the same answer for every address.
    @Sendable func requestLink(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            return renderer.message(title: "Not found", message: "There is no such page.", status: .notFound)
        }
        let email = (try? await FormBody.read(request, limit: 4096)["email"]) ?? ""
        let action = "/recordings/\(id.uuidString.lowercased())/request-link"
        do {
            try await accessRequests.ask(recordingID: id, email: email, ip: accessRequests.clientIP(request, context))
        } catch let error as APIError {
            var headers = HTTPFields()
            if let wait = error.headers[.retryAfter] { headers[.retryAfter] = wait }
            return renderer.page(
                "request-link",
                [
                    "title": "Ask for a link", "message": "Enter the address your invitation was sent to.", "action": action,
                    "error": error.message, "isError": true,
                ], status: error.status, headers: headers)
        }
        return renderer.message(title: "Ask for a link", message: AccessRequestsController.answer, status: .accepted)
    }

    static func redirect(_ location: String) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }
}
