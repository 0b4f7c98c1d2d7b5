import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// The admin dashboard: sign in with an API key, browse and filter recordings, and on a
/// recording's page read its event log and manage its share links. Every form carries a CSRF
/// token; the session cookie is HttpOnly, SameSite=Lax, and Secure behind TLS.
struct AdminPagesController {
    let catalog: Catalog
    let store: any ObjectStore
    let shares: ShareService
    /// Viewers (no admin session) on `/recordings/{id}` are handed to their page.
    let viewerPages: WebPagesController
    let grants: PlaybackGrants
    let player: PlayerPage
    let keys: PlaybackKeys
    let renderer: PageRenderer
    let scheduler: JobScheduler

    var session: AdminSession { keys.adminSession }
    var secure: String { keys.publicURL.lowercased().hasPrefix("https://") ? "; Secure" : "" }

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/", use: dashboard)
        router.get("/recordings/{id}", use: recordingPage)
        router.post("/login", use: login)
        router.post("/logout", use: logout)
        router.post("/recordings/{id}/shares", use: createShare)
        router.post("/shares/{id}/revoke", use: revokeShare)
        router.post("/recordings/{id}/delete", use: deleteRecording)
    }

    var visitors: PageVisitors { PageVisitors(catalog: catalog, keys: keys) }

    /// The recording, if the signed-in key's scope covers it: an organization's key signs in to
    /// its own organization only, and to it every other recording is one that does not exist.
    func scoped(_ id: UUID?, principal: Principal) async throws -> Recording? {
        guard let id, let recording = try await catalog.pool.recordings.find(id: id) else { return nil }
        guard let scope = principal.adminScope, scope.covers(try await catalog.pool.rooms.organizationID(of: recording.roomID))
        else { return nil }
        return recording
    }

    func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    // MARK: sign in and out

    func loginPage(error: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        // Login CSRF: a random value in a cookie, echoed by the form (double submit).
        let nonce = RandomToken.base62(length: 32)
        var values: [String: Any] = ["title": "Sign in", "csrf": session.csrf(for: nonce)]
        if let error { values["error"] = error }
        var headers = HTTPFields()
        headers[.setCookie] = "\(AdminSession.loginCookie)=\(nonce); Path=/; Max-Age=3600; HttpOnly; SameSite=Lax\(secure)"
        return renderer.page("login", values, status: status, headers: headers)
    }

    @Sendable func login(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let values = try await FormBody.read(request)
        guard let nonce = request.cookies[AdminSession.loginCookie]?.value, session.checkCSRF(values["csrf"], session: nonce) else {
            return loginPage(error: "The form expired; please sign in again.", status: .forbidden)
        }
        guard let token = values["api_key"]?.trimmingCharacters(in: .whitespaces), let credential = APIKeyCredential.parse(token),
            let key = try await catalog.pool.apiKeys.authenticate(credential)
        else { return loginPage(error: "That API key is not valid.", status: .unauthorized) }
        let cookie = session.issue(keyID: key.id, now: catalog.clock.now())
        return redirect(
            "/", cookie: "\(AdminSession.cookie)=\(cookie); Path=/; Max-Age=\(Int(AdminSession.lifetime)); HttpOnly; SameSite=Lax\(secure)")
    }

    @Sendable func logout(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        if let (_, cookie) = try await visitors.admin(request) {
            guard session.checkCSRF(try await FormBody.read(request)["csrf"], session: cookie) else {
                return renderer.message(title: "Access denied", message: "The form expired; reload the page.", status: .forbidden)
            }
            if let expiry = AdminSession.expiry(of: cookie) {
                try await catalog.pool.adminSessions.end(sessionHash: AdminSession.hash(of: cookie), expiresAt: expiry)
            }
        }
        return redirect("/", cookie: "\(AdminSession.cookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax\(secure)")
    }

    // MARK: the recordings list

    @Sendable func dashboard(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let (principal, cookie) = try await visitors.admin(request) else { return loginPage() }
        let query = FormBody.query(request)
        let organizations = try await DashboardOrganizations.load(principal: principal, selected: query["organization"], catalog: catalog)
        // Control characters cannot be in a name; such a filter matches nothing (and would upset PostgreSQL).
        func plain(_ value: String?) -> String? {
            value.flatMap { $0.isEmpty || $0.unicodeScalars.contains { $0.value < 0x20 } ? nil : $0 }
        }
        let room = plain(query["room"])
        let participant = plain(query["participant"])
        let status = query["status"].flatMap(RecordingStatus.init(rawValue:))
        let scope = KeysetCursor.scope(
            "dashboard",
            filters: [
                "room": room, "status": status?.rawValue, "participant": participant,
                "organization": organizations.selected?.id.uuidString.lowercased(),
            ])
        let position = query["cursor"].flatMap { try? KeysetCursor.decode($0, expectedScope: scope) }.flatMap { cursor in
            UUID(uuidString: cursor.tiebreaker).map { RecordingPosition(createdAt: cursor.sortValue, id: $0) }
        }
        let limit = 25
        var filter = RecordingFilter(roomName: room, status: status, participantSearch: participant)
        filter.organizationID = organizations.selected?.id
        let rows = try await catalog.pool.recordings.list(filter: filter, after: position, limit: limit + 1)
        let page = Array(rows.prefix(limit))
        var items: [[String: Any]] = []
        for recording in page {
            var item: [String: Any] = [
                "id": recording.id.uuidString.lowercased(), "room": recording.roomName, "status": recording.status.rawValue,
                "date": PlayerPage.readableDate(recording.startedAt ?? recording.createdAt),
                "duration": recording.durationMs.map(PlayerPage.readableDuration) ?? "",
                "size": recording.sizeBytes.map(ByteSizeText.readable) ?? "",
                "paused": recording.pausedAt != nil,
            ]
            if let sessionID = recording.sessionID {
                var seen = Set<String>()
                item["participants"] = try await catalog.pool.participants.list(sessionID: sessionID)
                    .map { $0.name ?? $0.identity }.filter { seen.insert($0).inserted }.joined(separator: ", ")
            }
            if let thumbnail = recording.assets.first(where: { $0.kind == .thumbnail }) {
                item["thumbnailURL"] = try? await store.signedURL(try ObjectKey(thumbnail.key), expiresIn: 3600, overrides: .init())
            }
            items.append(item)
        }
        var values: [String: Any] = [
            "title": "Recordings", "csrf": session.csrf(for: cookie), "items": items, "hasItems": !items.isEmpty,
            "room": room ?? "", "participant": participant ?? "",
            "statuses": RecordingStatus.allCases.map { ["value": $0.rawValue, "selected": $0 == status] },
        ]
        values.merge(try await organizations.values(catalog: catalog)) { _, new in new }
        if rows.count > limit, let last = page.last {
            var components = URLComponents()
            components.path = "/"
            components.queryItems = [
                room.map { URLQueryItem(name: "room", value: $0) }, status.map { URLQueryItem(name: "status", value: $0.rawValue) },
                participant.map { URLQueryItem(name: "participant", value: $0) },
                organizations.selected.flatMap { organizations.isPicker ? URLQueryItem(name: "organization", value: $0.slug) : nil },
                URLQueryItem(
                    name: "cursor",
                    value: KeysetCursor(scope: scope, sortValue: last.createdAt.millisecondsSince1970, tiebreaker: last.id.uuidString)
                        .encode()),
            ].compactMap { $0 }
            values["nextURL"] = components.string
        }
        // The outbox is the installation's (`GET /v1/emails` takes a global key): an
        // organization's key does not see other organizations' recipients and subjects.
        if principal.adminScope == .global { values.merge(try await outboxValues()) { _, new in new } }
        return renderer.page("dashboard", values)
    }

    /// The outbox on the dashboard: counts by status and the latest emails (skipped ones too:
    /// without a mail server that is where invitations can be seen).
    func outboxValues() async throws -> [String: Any] {
        let counts = try await catalog.pool.emails.counts()
        let latest = try await catalog.pool.emails.list(status: nil, before: nil, limit: 10)
        return [
            "hasEmails": !latest.isEmpty,
            "emailCounts": EmailStatus.allCases.compactMap { status in counts[status].map { ["status": status.rawValue, "count": $0] } },
            "emails": latest.map { email -> [String: Any] in
                [
                    "recipient": email.recipient, "subject": email.subject, "status": email.status.rawValue,
                    "kind": email.kind.rawValue, "date": PlayerPage.readableDate(email.createdAt),
                    "error": email.lastError ?? "",
                ]
            },
        ]
    }

    // MARK: a recording's admin panel

    /// `/recordings/{id}`: for a signed-in admin the player with the admin panel; for everyone
    /// else the viewer's page.
    @Sendable func recordingPage(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard request.uri.queryParameters.get("token") == nil, let (principal, cookie) = try await visitors.admin(request) else {
            return try await viewerPages.recordingPage(request, context: context)
        }
        guard let recording = try await scoped(context.parameters.get("id").flatMap(UUID.init(uuidString:)), principal: principal)
        else { return player.notFound() }
        return try await adminRecordingPage(recording, principal: principal, cookie: cookie, request: request, context: context)
    }

    func adminRecordingPage(
        _ recording: Recording, principal: Principal, cookie: String, request: Request, context: TapedeckRequestContext,
        newShareURL: String? = nil
    ) async throws -> Response {
        let panel = try await panel(recording, cookie: cookie, newShareURL: newShareURL)
        guard recording.status == .ready else {
            // Not playable: the status page's words, with the admin panel (events say why).
            var values = panel
            values["title"] = recording.roomName
            values["room"] = recording.roomName
            values["date"] = PlayerPage.readableDate(recording.startedAt ?? recording.createdAt)
            values["notice"] = "This recording is \(recording.status.rawValue)" + (recording.error.map { ": \($0)" } ?? ".")
            return renderer.page("player", values)
        }
        let grant = try await grants.makeGrant(recording, allowDownload: true, grantee: principal.actor, chat: true)
        var audited = context
        audited.principal = principal
        try await grants.audit(
            recording, type: "playback.granted", actor: principal.actor, data: ["via": "dashboard"], request: request,
            context: audited)
        var values = panel
        values["searchable"] = true
        return try await player.render(recording, grant: grant, renewal: PlayerPage.renewalPath(recording), extra: values)
    }

    /// The values of the admin panel under the player: event log and shares.
    func panel(_ recording: Recording, cookie: String, newShareURL: String? = nil) async throws -> [String: Any] {
        let now = catalog.clock.now()
        let events = try await catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 200)
        let shares = try await catalog.pool.shares.list(recordingID: recording.id)
        var values: [String: Any] = [
            "admin": true, "csrf": session.csrf(for: cookie), "recordingID": recording.id.uuidString.lowercased(),
            "events": events.map {
                ["at": PlayerPage.readableDate($0.at), "type": $0.type, "actor": $0.actor, "data": $0.dataJSON]
            },
            "hasShares": !shares.isEmpty,
            "shares": shares.map { share -> [String: Any] in
                [
                    "id": share.id.uuidString.lowercased(), "created": PlayerPage.readableDate(share.createdAt),
                    "expires": PlayerPage.readableDate(share.expiresAt), "passcode": share.hasPasscode ? "yes" : "no",
                    "views": share.views, "active": share.isUsable(at: now),
                    "state": share.revokedAt != nil ? "revoked" : share.isUsable(at: now) ? "active" : "expired",
                ]
            },
        ]
        if let newShareURL { values["newShareURL"] = newShareURL }
        return values
    }

    @Sendable func createShare(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let (principal, cookie) = try await visitors.admin(request) else { return loginPage(status: .unauthorized) }
        let values = try await FormBody.read(request)
        guard session.checkCSRF(values["csrf"], session: cookie) else {
            return renderer.message(title: "Access denied", message: "The form expired; reload the page.", status: .forbidden)
        }
        guard let recording = try await scoped(context.parameters.get("id").flatMap(UUID.init(uuidString:)), principal: principal),
            recording.status != .deleted
        else { return renderer.message(title: "Not found", message: "There is no recording here.", status: .notFound) }
        let expiresIn = min(Int(values["expires_in"] ?? "") ?? 604_800, keys.shareMaxLifetime)
        let passcode = values["passcode"].flatMap { $0.isEmpty ? nil : $0 }
        if let passcode, !(4...128).contains(passcode.unicodeScalars.count) {
            return renderer.message(title: "Share not created", message: "A passcode must be 4 to 128 characters.", status: .badRequest)
        }
        let (_, url) = try await shares.createShare(
            recording: recording, expiresIn: max(60, expiresIn), email: nil, passcode: passcode,
            allowDownload: values["allow_download"] != nil, actor: principal.actor)
        return try await adminRecordingPage(recording, principal: principal, cookie: cookie, request: request, context: context,
                                            newShareURL: url)
    }

    @Sendable func deleteRecording(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let (principal, cookie) = try await visitors.admin(request) else { return loginPage(status: .unauthorized) }
        guard session.checkCSRF(try await FormBody.read(request)["csrf"], session: cookie) else {
            return renderer.message(title: "Access denied", message: "The form expired; reload the page.", status: .forbidden)
        }
        guard let id = try await scoped(context.parameters.get("id").flatMap(UUID.init(uuidString:)), principal: principal)?.id
        else { return player.notFound() }
        switch try await RecordingLifecycle.markDeleted(
            id, actor: principal.actor, cause: "deleted from the dashboard", catalog: catalog, scheduler: scheduler)
        {
        case .notFound:
            return player.notFound()
        case .rejected(let current, _) where current != .deleted:
            return renderer.message(
                title: "Not deleted", message: "This recording is \(current.rawValue): stop it before deleting it.", status: .conflict)
        default:
            return redirect("/")
        }
    }

    @Sendable func revokeShare(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let (principal, cookie) = try await visitors.admin(request) else { return loginPage(status: .unauthorized) }
        guard session.checkCSRF(try await FormBody.read(request)["csrf"], session: cookie) else {
            return renderer.message(title: "Access denied", message: "The form expired; reload the page.", status: .forbidden)
        }
        guard let id = context.parameters.get("id").flatMap(UUID.init(uuidString:)),
            let share = try await catalog.pool.shares.find(id: id), try await scoped(share.recordingID, principal: principal) != nil
        else { return renderer.message(title: "Not found", message: "There is no such share.", status: .notFound) }
        try await shares.revoke(share, actor: principal.actor)
        return redirect("/recordings/\(share.recordingID.uuidString.lowercased())")
    }
}
