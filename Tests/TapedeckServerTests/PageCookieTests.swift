import Foundation
import Testing
import TapedeckCore
@testable import TapedeckServer

@Suite("Page cookies: the dashboard's session and a share page's passcode session")
struct PageCookieTests {
    let secret = Array(repeating: UInt8(3), count: 32)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func share(expiresIn seconds: TimeInterval) -> Share {
        Share(
            id: UUID(), recordingID: UUID(), email: nil, passcodeHash: "x", allowDownload: false,
            expiresAt: now.addingTimeInterval(seconds), revokedAt: nil, createdBy: "test", views: 0, createdAt: now)
    }

    @Test("a share session admits its own share until it ends, and no other")
    func shareSession() {
        // setup
        let sessions = ShareSession(secret: secret)
        let mine = share(expiresIn: 7 * 86_400), other = share(expiresIn: 7 * 86_400)
        // action
        let (cookie, maxAge) = sessions.issue(for: mine, now: now)
        // check
        #expect(maxAge == Int(ShareSession.lifetime))
        #expect(sessions.admits(cookie, to: mine, now: now))
        #expect(!sessions.admits(cookie, to: other, now: now))
        #expect(!sessions.admits(cookie, to: mine, now: now.addingTimeInterval(ShareSession.lifetime + 1)))
        #expect(!sessions.admits(nil, to: mine, now: now))
        let tampered = String(cookie.dropLast()) + (cookie.hasSuffix("A") ? "B" : "A")
        #expect(!sessions.admits(tampered, to: mine, now: now))
        // Another deployment's secret signs other cookies.
        #expect(!ShareSession(secret: Array(repeating: 4, count: 32)).admits(cookie, to: mine, now: now))
    }

    @Test("a share session never outlives its share")
    func shareSessionEndsWithTheShare() {
        let sessions = ShareSession(secret: secret)
        let shortLived = share(expiresIn: 600)
        let (cookie, maxAge) = sessions.issue(for: shortLived, now: now)
        #expect(maxAge == 600)
        #expect(sessions.admits(cookie, to: shortLived, now: now.addingTimeInterval(599)))
        #expect(!sessions.admits(cookie, to: shortLived, now: now.addingTimeInterval(600)))
    }

    @Test("an admin session cookie is not a share session, nor the other way round")
    func purposesDoNotMix() {
        let admin = AdminSession(secret: secret), shares = ShareSession(secret: secret)
        let mine = share(expiresIn: 86_400)
        let adminCookie = admin.issue(keyID: mine.id, now: now)
        #expect(admin.verify(adminCookie, now: now) == mine.id)
        #expect(!shares.admits(adminCookie, to: mine, now: now))
        let (shareCookie, _) = shares.issue(for: mine, now: now)
        #expect(admin.verify(shareCookie, now: now) == nil)
        #expect(AdminSession.expiry(of: adminCookie) == now.addingTimeInterval(AdminSession.lifetime))
        #expect(admin.checkCSRF(admin.csrf(for: adminCookie), session: adminCookie))
        #expect(!admin.checkCSRF(admin.csrf(for: adminCookie), session: shareCookie))
    }
}
