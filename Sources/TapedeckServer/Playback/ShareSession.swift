import Foundation
import TapedeckCore

/// What a share page's passcode leaves behind: a cookie scoped to the share's own link
/// (`Path=/s/{token}`), with which that page renews its playback grant without asking for the
/// passcode again. It names the share, is signed with a key of its own, and never outlives the
/// share; revoking the share ends it, since every use checks the share too.
struct ShareSession: Sendable {
    static let cookie = "tapedeck_share"
    /// A lecture and its breaks; the page asks for the passcode again after that.
    static let lifetime: TimeInterval = 12 * 3600

    let value: SignedCookieValue

    init(secret: [UInt8]) {
        value = SignedCookieValue(secret: secret, context: "tapedeck-share-session-v1", purpose: "share")
    }

    func issue(for share: Share, now: Date) -> (value: String, maxAge: Int) {
        let end = min(now.timeIntervalSince1970 + Self.lifetime, share.expiresAt.timeIntervalSince1970).rounded(.down)
        return (value.issue(share.id, expires: Int64(end)), max(0, Int(end - now.timeIntervalSince1970)))
    }

    func admits(_ cookie: String?, to share: Share, now: Date) -> Bool {
        guard let cookie else { return false }
        return value.verify(cookie, now: now) == share.id
    }
}
