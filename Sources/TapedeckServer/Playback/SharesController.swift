import Foundation
import HTTPTypes
import Hummingbird
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// Share links: created, listed and revoked by admins and the session's hosts; used by anyone
/// holding the link (plus the passcode, and a viewer token with the right email, when the
/// share asks for them). Every use is counted and audited.
struct SharesController {
    let service: ShareService
    let grants: PlaybackGrants
    let maxBody: Int
    var catalog: Catalog { service.catalog }
    var keys: PlaybackKeys { grants.keys }
    var maximumLifetime: Int { service.maximumLifetime }

    func register(api: RouterGroup<TapedeckRequestContext>, public router: Router<TapedeckRequestContext>) {
        api.post("/recordings/{id}/shares", use: create)
        api.get("/recordings/{id}/shares", use: list)
        api.delete("/shares/{id}", use: revoke)
        router.post("/v1/share-links/{token}/playback", use: use)
    }

    struct CreateBody: Decodable {
        var expiresIn: Int
        var email: String?
        var passcode: String?
        var allowDownload: Bool?
        enum CodingKeys: String, CodingKey {
            case expiresIn = "expires_in", email, passcode, allowDownload = "allow_download"
        }

        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            expiresIn = try c.decode(Int.self, forKey: .expiresIn)
            email = try c.decodeIfPresent(String.self, forKey: .email)
            passcode = try c.decodeIfPresent(String.self, forKey: .passcode)
            allowDownload = try c.decodeIfPresent(Bool.self, forKey: .allowDownload)
        }
    }

    struct ShareList: JSONRepresentable {
        var items: [ShareRepresentation]
        func write(to json: inout JSONWriter) {
            json.object { json in json.member("items", items) }
        }
    }

    /// Admins and the session's hosts manage a recording's shares; everyone else gets a 404.
    func managed(_ id: UUID, context: TapedeckRequestContext) async throws -> Recording {
        let (recording, role) = try await RecordingAccess.viewable(id, by: context.principal, catalog: catalog)
        guard role == .admin || role == .host else { throw APIError.notFound("recording") }
        return recording
    }

    @Sendable func create(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<ShareRepresentation> {
        let recording = try await managed(try context.uuidParameter("id"), context: context)
        let body = try await request.decodeJSON(as: CreateBody.self, limit: maxBody)
        guard (60...maximumLifetime).contains(body.expiresIn) else {
            throw APIError.invalid("expires_in", "expires_in must be from 60 to \(maximumLifetime) seconds")
        }
        if let email = body.email, email.unicodeScalars.count > 320 || !email.contains("@") {
            throw APIError.invalid("email", "email must be an address (with @) of at most 320 characters")
        }
        try APIError.requirePlainText(body.email, field: "email")
        if let passcode = body.passcode, !(4...128).contains(passcode.unicodeScalars.count) {
            throw APIError.invalid("passcode", "passcode must be 4 to 128 characters")
        }
        guard recording.status != .deleted else { throw APIError.notFound("recording") }
        let (share, url) = try await service.createShare(
            recording: recording, expiresIn: body.expiresIn, email: body.email, passcode: body.passcode,
            allowDownload: body.allowDownload ?? false, actor: context.principal?.actor ?? "unknown")
        return JSONResponse(ShareRepresentation(share: share, url: url), status: .created)
    }

    @Sendable func list(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<ShareList> {
        let recording = try await managed(try context.uuidParameter("id"), context: context)
        let shares = try await catalog.pool.shares.list(recordingID: recording.id)
        return JSONResponse(ShareList(items: shares.map { ShareRepresentation(share: $0) }))
    }

    @Sendable func revoke(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<ShareRepresentation> {
        let id = try context.uuidParameter("id")
        guard let share = try await catalog.pool.shares.find(id: id) else { throw APIError.notFound("share") }
        do {
            _ = try await managed(share.recordingID, context: context)
        } catch let error as APIError where error.status == .notFound {
            throw APIError.notFound("share")
        }
        let revoked = try await service.revoke(share, actor: context.principal?.actor ?? "unknown")
        guard let revoked else { throw APIError.notFound("share") }
        return JSONResponse(ShareRepresentation(share: revoked))
    }

    struct UseBody: Decodable {
        var passcode: String?
    }

    /// `POST /v1/share-links/{token}/playback`: playback through a share link.
    @Sendable func use(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<PlaybackGrants.Grant> {
        let token = context.parameters.get("token") ?? ""
        guard ShareToken.isWellFormed(token), let share = try await catalog.pool.shares.find(tokenHash: ShareToken.hash(token))
        else { throw APIError(.notFound, code: "share_not_found", message: "no such share link") }
        let now = catalog.clock.now()
        guard share.isUsable(at: now) else {
            throw APIError(.gone, code: "share_expired", message: "this share link has expired or was revoked")
        }
        var actor = ShareService.actor(share, viewer: nil)
        if let email = share.email, share.linkIsCredential {
            // An emailed link is its own proof; a viewer token, if sent, must be that address's.
            var viewer: ViewerClaims?
            if let bearer = AuthenticationMiddleware.bearerToken(request.headers[.authorization]) {
                viewer = await ViewerTokenVerifier(catalog: catalog, keys: keys).verified(bearer)?.claims
            }
            guard ShareService.admits(share, email: email, viewerEmail: viewer?.email) else {
                throw APIError(.forbidden, code: "email_mismatch", message: "this share is for another email address")
            }
            actor = ShareService.actor(share, viewer: viewer?.sub)
        } else if let email = share.email {
            guard let bearer = AuthenticationMiddleware.bearerToken(request.headers[.authorization]),
                let viewer = await ViewerTokenVerifier(catalog: catalog, keys: keys).verified(bearer)
            else {
                throw APIError(.unauthorized, code: "viewer_token_required", message: "this share is for a signed-in viewer: send their viewer token")
            }
            let claims = viewer.claims
            guard claims.email?.lowercased() == email, try await service.speaks(viewer, forRecordingOf: share) else {
                throw APIError(.forbidden, code: "email_mismatch", message: "this share is for another email address")
            }
            actor += " viewer:\(claims.sub)"
        }
        let outcome = try await service.passcodes.check(share) {
            let body = request.headers[.contentType] == nil ? UseBody() : try await request.decodeJSON(as: UseBody.self, limit: maxBody)
            return body.passcode
        }
        switch outcome {
        case .accepted:
            break
        case .refused(let wait):
            throw APIError(
                .tooManyRequests, code: "too_many_attempts", message: "too many passcode tries; try again in \(wait) s",
                field: "passcode", headers: [.retryAfter: String(wait)])
        case .missing:
            throw APIError(.unauthorized, code: "passcode_required", message: "this share needs its passcode", field: "passcode")
        case .wrong:
            throw APIError(.unauthorized, code: "wrong_passcode", message: "the passcode is not right", field: "passcode")
        }
        guard let recording = try await catalog.pool.recordings.find(id: share.recordingID), recording.status != .deleted else {
            throw APIError(.gone, code: "share_expired", message: "the shared recording no longer exists")
        }
        try PlaybackGrants.requirePlayable(recording)
        let grant = try await grants.makeGrant(recording, allowDownload: share.allowDownload, grantee: actor, share: share)
        try await catalog.pool.shares.countView(id: share.id)
        try await grants.audit(
            recording, type: "share.used", actor: actor, data: ShareService.usedData(share, via: nil),
            request: request, context: context)
        return JSONResponse(grant)
    }
}
