import Crypto
import Foundation
import TapedeckCore

/// `{id}.{expiry}.{mac}`: a cookie value naming one thing (an API key, a share) until a time,
/// signed by Tapedeck so that nothing secret is kept in the browser.
struct SignedCookieValue: Sendable {
    let key: SymmetricKey
    /// Put before what is signed: a value made for one use is never valid for another.
    let purpose: String

    /// `context` derives a key of its own from the link secret, so a cookie's MAC is never a valid link MAC.
    init(secret: [UInt8], context: String, purpose: String) {
        key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(context.utf8), using: SymmetricKey(data: secret))))
        self.purpose = purpose
    }

    func issue(_ id: UUID, expires: Int64) -> String {
        let body = "\(id.uuidString.lowercased()).\(expires)"
        return body + "." + mac(purpose + "\n" + body)
    }

    /// The id named by a well-signed value that has not expired.
    func verify(_ value: String, now: Date) -> UUID? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let id = UUID(uuidString: String(parts[0])), let expires = Int64(parts[1]) else { return nil }
        let body = "\(parts[0]).\(parts[1])"
        guard ConstantTime.equals(Array(mac(purpose + "\n" + body).utf8), Array(parts[2].utf8)),
            Double(expires) > now.timeIntervalSince1970
        else { return nil }
        return id
    }

    /// When a value stops working by itself.
    static func expiry(of value: String) -> Date? {
        let parts = value.split(separator: ".")
        guard parts.count == 3, let expires = Int64(parts[1]) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(expires))
    }

    func mac(_ message: String) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)))
    }
}
