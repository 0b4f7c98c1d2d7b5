import Crypto
import Foundation

/// Signs and verifies the `/media/...` URLs through which Tapedeck serves local storage.
///
/// A URL is `{base}/media/{key}?expires={unix}&sig={mac}` (plus `disposition` and `type` when the
/// response headers are overridden). The MAC is HMAC-SHA256 over the key, the expiry and the
/// overrides, so none of them can be changed without invalidating the URL.
public struct MediaURLSigner: Sendable {
    /// Keyed once; copied for each signature.
    private let keyed: HMAC<SHA256>
    /// Public base URL of the service, no trailing slash.
    public let baseURL: String

    public init(secret: [UInt8], baseURL: String) {
        self.keyed = HMAC<SHA256>(key: SymmetricKey(data: secret))
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    public static let pathPrefix = "/media/"

    /// `share`: the share the URL was granted through, if any; it is signed into the URL so that
    /// the server can refuse it once the share is revoked.
    public func signedURL(
        for objectKey: ObjectKey, expires: Date, overrides: ResponseOverrides = .init(), share: String? = nil
    ) -> String {
        let expiry = Int64(expires.timeIntervalSince1970.rounded(.down))
        let signature = mac(key: objectKey.rawValue, expires: expiry, overrides: overrides, share: share)
        var url = baseURL
        url.reserveCapacity(baseURL.utf8.count + objectKey.rawValue.utf8.count + 96)
        url += Self.pathPrefix
        url += Self.encodePath(objectKey.rawValue)
        url += "?expires="
        url += String(expiry)
        if let disposition = overrides.contentDisposition {
            url += "&disposition="
            url += Self.encodeQueryValue(disposition)
        }
        if let type = overrides.contentType {
            url += "&type="
            url += Self.encodeQueryValue(type)
        }
        if let share {
            url += "&share="
            url += Self.encodeQueryValue(share)
        }
        url += "&sig="
        url += signature
        return url
    }

    public enum Rejection: Error, Equatable {
        case missingSignature
        case badSignature
        case expired
    }

    /// Checks a request for `objectKey` carrying these query values, at `now`.
    public func verify(
        objectKey: String, expires: String?, signature: String?, overrides: ResponseOverrides, share: String? = nil, now: Date
    ) -> Rejection? {
        guard let expires, let signature, let expiry = Int64(expires) else { return .missingSignature }
        // The signed message separates its fields with newlines: a field that holds one could
        // pass for another (a `type` ending in "\nshare:..." for a dropped `share`).
        for field in [overrides.contentDisposition, overrides.contentType, share, objectKey] {
            if let field, field.utf8.contains(0x0A) { return .badSignature }
        }
        let expected = mac(key: objectKey, expires: expiry, overrides: overrides, share: share)
        guard ConstantTimeBytes.equal(expected.utf8, signature.utf8) else { return .badSignature }
        guard Double(expiry) >= now.timeIntervalSince1970 else { return .expired }
        return nil
    }

    private func mac(key objectKey: String, expires: Int64, overrides: ResponseOverrides, share: String?) -> String {
        var message = [UInt8]()
        message.reserveCapacity(64 + objectKey.utf8.count)
        message += "tapedeck-media-v1\n".utf8
        message += objectKey.utf8
        message.append(0x0A)
        message += String(expires).utf8
        message.append(0x0A)
        message += (overrides.contentDisposition ?? "").utf8
        message.append(0x0A)
        message += (overrides.contentType ?? "").utf8
        if let share {
            // Absent for URLs that name no share, so those sign as they always did.
            message += "\nshare:".utf8
            message += share.utf8
        }
        var hmac = keyed
        hmac.update(data: message)
        return hmac.finalize().withUnsafeBytes { Self.base64URL($0) }
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Unpadded base64url, table-driven (Foundation's base64 plus three string replacements was
    /// most of the cost of signing a URL).
    static func base64URL<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(base64Alphabet[Int(value >> 18 & 63)])
            out.append(base64Alphabet[Int(value >> 12 & 63)])
            out.append(base64Alphabet[Int(value >> 6 & 63)])
            out.append(base64Alphabet[Int(value & 63)])
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            let value = UInt32(input[index]) << 16 | (rest == 2 ? UInt32(input[index + 1]) << 8 : 0)
            out.append(base64Alphabet[Int(value >> 18 & 63)])
            out.append(base64Alphabet[Int(value >> 12 & 63)])
            if rest == 2 { out.append(base64Alphabet[Int(value >> 6 & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 percent-encoding of each path segment, keeping the slashes between them.
    public static func encodePath(_ key: String) -> String {
        URIEncoding.encode(key, keepSlash: true)
    }

    static func encodeQueryValue(_ value: String) -> String {
        URIEncoding.encode(value, keepSlash: false)
    }
}

/// Comparison that takes the same time wherever the inputs differ.
enum ConstantTimeBytes {
    static func equal(_ a: String.UTF8View, _ b: String.UTF8View) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
