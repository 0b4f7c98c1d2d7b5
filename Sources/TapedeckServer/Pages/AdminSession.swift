import Crypto
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

    let key: SymmetricKey

    init(secret: [UInt8]) {
        // A key of its own, derived from the link secret, so a session MAC is never a valid link MAC.
        key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array("tapedeck-admin-session-v1".utf8),
                                                                        using: SymmetricKey(data: secret))))
    }

    func issue(keyID: UUID, now: Date) -> String {
        let expires = Int64(now.timeIntervalSince1970 + Self.lifetime)
        let body = "\(keyID.uuidString.lowercased()).\(expires)"
        return body + "." + mac("session\n" + body)
    }

    /// When a session cookie stops working by itself.
    static func expiry(of value: String) -> Date? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let expires = Int64(parts[1]) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(expires))
    }

    /// What the server keeps of a signed-out session: never the cookie itself.
    static func hash(of value: String) -> String { RandomToken.sha256Hex("admin-session:" + value) }

    /// The API key id of a valid, unexpired session cookie.
    func verify(_ value: String, now: Date) -> UUID? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let id = UUID(uuidString: String(parts[0])), let expires = Int64(parts[1]) else { return nil }
        let body = "\(parts[0]).\(parts[1])"
        guard ConstantTime.equals(Array(mac("session\n" + body).utf8), Array(parts[2].utf8)),
            Double(expires) > now.timeIntervalSince1970
        else { return nil }
        return id
    }

    /// The CSRF token of forms shown within `session` (a session cookie, or the login cookie).
    func csrf(for session: String) -> String { mac("csrf\n" + session) }

    func checkCSRF(_ token: String?, session: String) -> Bool {
        guard let token else { return false }
        return ConstantTime.equals(Array(csrf(for: session).utf8), Array(token.utf8))
    }

    private func mac(_ message: String) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)))
    }
}
