import Crypto
import Foundation

/// Signs and verifies the `/media/...` URLs through which Tapedeck serves local storage.
///
/// A URL is `{base}/media/{key}?expires={unix}&sig={mac}` (plus `disposition` and `type` when the
/// response headers are overridden). The MAC is HMAC-SHA256 over the key, the expiry and the
/// overrides, so none of them can be changed without invalidating the URL.
public struct MediaURLSigner: Sendable {
    private let key: SymmetricKey
    /// Public base URL of the service, no trailing slash.
    public let baseURL: String

    public init(secret: [UInt8], baseURL: String) {
        self.key = SymmetricKey(data: secret)
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    public static let pathPrefix = "/media/"

    public func signedURL(for objectKey: ObjectKey, expires: Date, overrides: ResponseOverrides = .init()) -> String {
        let expiry = Int64(expires.timeIntervalSince1970.rounded(.down))
        let signature = mac(key: objectKey.rawValue, expires: expiry, overrides: overrides)
        var url = baseURL + Self.pathPrefix + Self.encodePath(objectKey.rawValue)
        url += "?expires=\(expiry)"
        if let disposition = overrides.contentDisposition {
            url += "&disposition=" + Self.encodeQueryValue(disposition)
        }
        if let type = overrides.contentType {
            url += "&type=" + Self.encodeQueryValue(type)
        }
        url += "&sig=" + signature
        return url
    }

    public enum Rejection: Error, Equatable {
        case missingSignature
        case badSignature
        case expired
    }

    /// Checks a request for `objectKey` carrying these query values, at `now`.
    public func verify(
        objectKey: String, expires: String?, signature: String?, overrides: ResponseOverrides, now: Date
    ) -> Rejection? {
        guard let expires, let signature, let expiry = Int64(expires) else { return .missingSignature }
        let expected = mac(key: objectKey, expires: expiry, overrides: overrides)
        guard ConstantTimeBytes.equal(Array(expected.utf8), Array(signature.utf8)) else { return .badSignature }
        guard Double(expiry) >= now.timeIntervalSince1970 else { return .expired }
        return nil
    }

    private func mac(key objectKey: String, expires: Int64, overrides: ResponseOverrides) -> String {
        var message = "tapedeck-media-v1\n\(objectKey)\n\(expires)\n"
        message += (overrides.contentDisposition ?? "") + "\n" + (overrides.contentType ?? "")
        let code = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)
        return Data(code).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static let unreserved: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))
    private static let hex = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 percent-encoding of each path segment, keeping the slashes between them.
    public static func encodePath(_ key: String) -> String {
        percentEncode(key, keep: unreserved.union([UInt8(ascii: "/")]))
    }

    static func encodeQueryValue(_ value: String) -> String {
        percentEncode(value, keep: unreserved)
    }

    static func percentEncode(_ text: String, keep: Set<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if keep.contains(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Comparison that takes the same time wherever the inputs differ.
enum ConstantTimeBytes {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
