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
    func open(token: String, viewer: ViewerClaims?) async throws -> Opening {
        guard ShareToken.isWellFormed(token), let share = try await catalog.pool.shares.find(tokenHash: ShareToken.hash(token))
        else { return .notFound }
        guard share.isUsable(at: catalog.clock.now()) else { return .gone }
        if let email = share.email, viewer?.email?.lowercased() != email { return .someoneElse }
        return .open(share, actor: "share:\(share.id.uuidString.lowercased())" + (viewer.map { " viewer:\($0.sub)" } ?? ""))
    }

    /// The recording a share shows, unless it was deleted.
    func recording(of share: Share) async throws -> Recording? {
        guard let recording = try await catalog.pool.recordings.find(id: share.recordingID), recording.status != .deleted else {
            return nil
        }
        return recording
    }
}
