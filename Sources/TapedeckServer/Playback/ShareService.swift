import Foundation
import NIOPosix
import TapedeckCore
import TapedeckStore

/// Creating, revoking and opening shares: what the share API and the pages both do.
struct ShareService: Sendable {
    let catalog: Catalog
    let keys: PlaybackKeys
    /// Longest a share may last.
    let maximumLifetime: Int
    /// Passcode tries per share, counted in the catalog.
    let passcodes: PasscodeGate
    /// Revocations made here are refused at once by this instance's `/media`.
    var revokedShares: RevokedShares?

    /// Creates a share (validated by the caller) and returns it with its link, the only copy of its token.
    func createShare(
        recording: Recording, expiresIn: Int, email: String?, passcode: String?, allowDownload: Bool, actor: String
    ) async throws -> (Share, String) {
        let token = ShareToken.generate()
        let now = catalog.clock.now()
        // PBKDF2 is slow on purpose: on the thread pool, and before the transaction, so it holds
        // neither a cooperative thread (which answers requests) nor a catalog connection.
        let passcodeHash: String? =
            if let passcode { try await NIOThreadPool.singleton.runIfActive { Passcode.hash(passcode) } } else { nil }
        let share = try await catalog.transaction { tx in
            let share = try await tx.shares.create(
                NewShare(
                    recordingID: recording.id, tokenHash: ShareToken.hash(token), email: email?.lowercased(),
                    passcodeHash: passcodeHash, allowDownload: allowDownload,
                    expiresAt: Date(timeIntervalSince1970: (now.timeIntervalSince1970 + Double(expiresIn)).rounded(.down)),
                    createdBy: actor))
            try await tx.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: recording.sessionID, type: "share.created", actor: actor,
                    data: ["share_id": share.id.uuidString.lowercased(), "expires_at": share.expiresAt.rfc3339]))
            return share
        }
        return (share, keys.publicURL + "/s/" + token)
    }

    /// Revokes at once (idempotent), writing `share.revoked` the first time.
    @discardableResult
    func revoke(_ share: Share, actor: String) async throws -> Share? {
        let revoked = try await catalog.transaction { tx -> Share? in
            _ = try await tx.shares.revoke(id: share.id)
            if share.revokedAt == nil {
                try await tx.events.append(
                    NewAuditEvent(recordingID: share.recordingID, type: "share.revoked", actor: actor,
                                  data: ["share_id": share.id.uuidString.lowercased()]))
            }
            return try await tx.shares.find(id: share.id)
        }
        // This instance refuses the share's media at once; others within a refresh interval.
        revokedShares?.insert(share.id)
        return revoked
    }
}
