import Foundation
import TapedeckCore
import TapedeckRecording

/// The dashboard's login: a cookie `{key id}.{expiry}.{mac}` signed by Tapedeck, so nothing
/// secret is kept in the browser. Each request re-checks that the API key is still active, so
/// revoking the key ends its sessions. Forms carry a CSRF token derived from the session.
struct AdminSession: Sendable {
    static let cookie = "tapedeck_admin"
    static let loginCookie = "tapedeck_login"
    static let lifetime: TimeInterval = 12 * 3600

    let value: SignedCookieValue

    init(secret: [UInt8]) {
        value = SignedCookieValue(secret: secret, context: "tapedeck-admin-session-v1", purpose: "session")
    }

    func issue(keyID: UUID, now: Date) -> String {
        value.issue(keyID, expires: Int64(now.timeIntervalSince1970 + Self.lifetime))
    }

    /// When a session cookie stops working by itself.
    static func expiry(of value: String) -> Date? { SignedCookieValue.expiry(of: value) }

    /// What the server keeps of a signed-out session: never the cookie itself.
    static func hash(of value: String) -> String { RandomToken.sha256Hex("admin-session:" + value) }

    /// The API key id of a valid, unexpired session cookie.
    func verify(_ cookie: String, now: Date) -> UUID? { value.verify(cookie, now: now) }

    /// The CSRF token of forms shown within `session` (a session cookie, or the login cookie).
    func csrf(for session: String) -> String { value.mac("csrf\n" + session) }

    func checkCSRF(_ token: String?, session: String) -> Bool {
        guard let token else { return false }
        return ConstantTime.equals(Array(csrf(for: session).utf8), Array(token.utf8))
    }
}
