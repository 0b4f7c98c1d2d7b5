import Foundation
import TapedeckCore
import TapedeckStore

extension ShareService {
    /// What a share link's token opens in a browser, before any passcode.
    enum Opening {
        case notFound
        /// Expired or revoked (410, as for every link granted through it).
        case gone
        /// Shared with a specific person, and the viewer's cookie is not theirs (or there is none).
        case someoneElse
        /// `actor` names the share, and the viewer when one is signed in.
        case open(Share, actor: String)
    }

    /// The share page and its grant renewal open a share the same way.
    func open(token: String, viewer: VerifiedViewer?) async throws -> Opening {
        guard ShareToken.isWellFormed(token), let share = try await catalog.pool.shares.find(tokenHash: ShareToken.hash(token))
        else { return .notFound }
        guard share.isUsable(at: catalog.clock.now()) else { return .gone }
        if let email = share.email {
            guard Self.admits(share, email: email, viewerEmail: viewer?.claims.email) else { return .someoneElse }
            if !share.linkIsCredential, let viewer, try await !speaks(viewer, forRecordingOf: share) { return .someoneElse }
        }
        return .open(share, actor: Self.actor(share, viewer: viewer?.claims.sub))
    }

    /// Whether the token that claims a share's email speaks for the share's room at all: any
    /// organization's backend can put any address in its tokens, so an email claim counts only
    /// where the token's signer does (``RecordingAccess/tokenCovers(_:organization:catalog:)``).
    func speaks(_ viewer: VerifiedViewer, forRecordingOf share: Share) async throws -> Bool {
        guard let recording = try await catalog.pool.recordings.find(id: share.recordingID),
            let room = try await catalog.pool.rooms.find(id: recording.roomID)
        else { return false }
        return try await RecordingAccess.tokenCovers(room, organization: viewer.organization, catalog: catalog)
    }

    /// Whether a share bound to `email` lets this viewer in: one made through the API needs a
    /// viewer token with that email; one emailed to the address (``Share/linkIsCredential``) is
    /// its own proof, unless the visitor is signed in as someone else.
    static func admits(_ share: Share, email: String, viewerEmail: String?) -> Bool {
        if share.linkIsCredential { return viewerEmail.map { $0.lowercased() == email } ?? true }
        return viewerEmail?.lowercased() == email
    }

    /// The data of a `share.used` event: the share, and the address it is bound to.
    static func usedData(_ share: Share, via: String?) -> [String: String] {
        var data = ["share_id": share.id.uuidString.lowercased()]
        if let via { data["via"] = via }
        if let email = share.email { data["email"] = email }
        return data
    }

    /// How a share's use appears in the audit log: the share, the viewer when signed in, and the
    /// address an emailed link was sent to.
    static func actor(_ share: Share, viewer: String?) -> String {
        "share:\(share.id.uuidString.lowercased())" + (viewer.map { " viewer:\($0)" } ?? "")
            + (share.linkIsCredential ? share.email.map { " email:\($0)" } ?? "" : "")
    }

    /// The recording a share shows, unless it was deleted.
    func recording(of share: Share) async throws -> Recording? {
        guard let recording = try await catalog.pool.recordings.find(id: share.recordingID), recording.status != .deleted else {
            return nil
        }
        return recording
    }
}
