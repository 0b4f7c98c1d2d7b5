import Crypto
import Foundation
import Synchronization

/// AWS credentials for S3-compatible services.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// For temporary credentials (STS); sent as `X-Amz-Security-Token`.
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4 for S3: header authorisation and presigned URLs.
///
/// Works on bytes rather than `String` concatenation, and caches the derived signing key per
/// day, because presigning is on the playback path (every HLS segment URL is signed).
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String
    private let keyCache = SigningKeyCache()

    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// Headers to add to a request: `x-amz-date`, `x-amz-content-sha256`, the session token if
    /// any, and `Authorization`. `path` and `query` are exactly as they go on the wire
    /// (already encoded with ``SigV4Signer/encodePath(_:)``); `headers` are the other headers
    /// to sign (`host` is added).
    public func authorizationHeaders(
        method: String, host: String, path: String, query: [(String, String)], headers: [(String, String)],
        payloadHash: String, date: Date
    ) -> [(String, String)] {
        let stamp = AMZDate(date)
        var signed: [(String, String)] = headers.map { ($0.0.lowercased(), Self.trimHeaderValue($0.1)) }
        signed.append(("host", host))
        signed.append(("x-amz-content-sha256", payloadHash))
        signed.append(("x-amz-date", stamp.full))
        if let token = credentials.sessionToken { signed.append(("x-amz-security-token", token)) }
        signed.sort { $0.0 < $1.0 }
        let signedNames = signed.map(\.0).joined(separator: ";")
        let canonical = canonicalRequest(
            method: method, path: path, canonicalQuery: Self.canonicalQuery(query), headers: signed,
            signedNames: signedNames, payloadHash: payloadHash)
        let signature = sign(canonical, stamp: stamp)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(stamp.day)/\(region)/\(service)/aws4_request, SignedHeaders=\(signedNames), Signature=\(signature)"
        var result: [(String, String)] = [
            ("x-amz-date", stamp.full), ("x-amz-content-sha256", payloadHash), ("authorization", authorization),
        ]
        if let token = credentials.sessionToken { result.append(("x-amz-security-token", token)) }
        return result
    }

    /// The query string (without `?`) of a presigned request: the given parameters (e.g.
    /// `response-content-disposition`) plus the `X-Amz-*` ones and the signature. Only `host` is signed.
    public func presignedQuery(
        method: String, host: String, path: String, query: [(String, String)], expires: Int, date: Date
    ) -> String {
        let stamp = AMZDate(date)
        var parameters = query
        parameters.append(("X-Amz-Algorithm", "AWS4-HMAC-SHA256"))
        parameters.append(
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(stamp.day)/\(region)/\(service)/aws4_request"))
        parameters.append(("X-Amz-Date", stamp.full))
        parameters.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { parameters.append(("X-Amz-Security-Token", token)) }
        parameters.append(("X-Amz-SignedHeaders", "host"))
        let canonicalQuery = Self.canonicalQuery(parameters)
        let canonical = canonicalRequest(
            method: method, path: path, canonicalQuery: canonicalQuery, headers: [("host", host)],
            signedNames: "host", payloadHash: Self.unsignedPayload)
        return canonicalQuery + "&X-Amz-Signature=" + sign(canonical, stamp: stamp)
    }

    // MARK: Internals

    func canonicalRequest(
        method: String, path: String, canonicalQuery: String, headers: [(String, String)], signedNames: String,
        payloadHash: String
    ) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(512)
        out += method.utf8
        out.append(0x0A)
        out += (path.isEmpty ? "/" : path).utf8
        out.append(0x0A)
        out += canonicalQuery.utf8
        out.append(0x0A)
        for (name, value) in headers {
            out += name.utf8
            out.append(UInt8(ascii: ":"))
            out += value.utf8
            out.append(0x0A)
        }
        out.append(0x0A)
        out += signedNames.utf8
        out.append(0x0A)
        out += payloadHash.utf8
        return out
    }

    func stringToSign(_ canonicalRequest: [UInt8], stamp: AMZDate) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(160)
        out += "AWS4-HMAC-SHA256\n".utf8
        out += stamp.full.utf8
        out.append(0x0A)
        out += "\(stamp.day)/\(region)/\(service)/aws4_request\n".utf8
        Hex.append(SHA256.hash(data: canonicalRequest), to: &out)
        return out
    }

    func sign(_ canonicalRequest: [UInt8], stamp: AMZDate) -> String {
        // A keyed HMAC copied per signature: keying (the ipad/opad blocks) is done once a day.
        var hmac = keyCache.key(day: stamp.day) { HMAC<SHA256>(key: signingKey(day: stamp.day)) }
        hmac.update(data: stringToSign(canonicalRequest, stamp: stamp))
        let mac = hmac.finalize()
        var out = [UInt8]()
        out.reserveCapacity(64)
        Hex.append(mac, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func signingKey(day: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        let secret = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        return hmac(hmac(hmac(hmac(secret, day), region), service), "aws4_request")
    }

    /// Query parameters encoded and sorted as SigV4 requires (also the form sent on the wire).
    public static func canonicalQuery(_ parameters: [(String, String)]) -> String {
        var encoded: [(name: String, value: String)] = parameters.map { parameter in
            (URIEncoding.encode(parameter.0, keepSlash: false), URIEncoding.encode(parameter.1, keepSlash: false))
        }
        encoded.sort { a, b in a.name == b.name ? a.value < b.value : a.name < b.name }
        var out = ""
        for (index, item) in encoded.enumerated() {
            if index > 0 { out += "&" }
            out += item.name
            out += "="
            out += item.value
        }
        return out
    }

    /// An object key as an S3 path: every byte but unreserved ones and `/` percent-encoded (once).
    public static func encodePath(_ key: String) -> String {
        URIEncoding.encode(key, keepSlash: true)
    }

    static func trimHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
}

/// The two timestamp forms SigV4 uses.
struct AMZDate {
    let full: String  // 20130524T000000Z
    let day: String  // 20130524

    init(_ date: Date) {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        // Digits by hand: String(format:) dominated presigning time.
        var bytes = [UInt8](repeating: 0, count: 16)
        func put(_ value: Int, at index: Int, width: Int) {
            var v = value
            for i in stride(from: index + width - 1, through: index, by: -1) {
                bytes[i] = UInt8(48 + v % 10)
                v /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, width: 4)
        put(Int(parts.tm_mon) + 1, at: 4, width: 2)
        put(Int(parts.tm_mday), at: 6, width: 2)
        bytes[8] = UInt8(ascii: "T")
        put(Int(parts.tm_hour), at: 9, width: 2)
        put(Int(parts.tm_min), at: 11, width: 2)
        put(Int(parts.tm_sec), at: 13, width: 2)
        bytes[15] = UInt8(ascii: "Z")
        full = String(decoding: bytes, as: UTF8.self)
        day = String(decoding: bytes[0..<8], as: UTF8.self)
    }
}

/// The derived signing key for the current day, already keyed into an HMAC; deriving it costs four HMACs.
final class SigningKeyCache: Sendable {
    private let cached = Mutex<(day: String, key: HMAC<SHA256>)?>(nil)

    func key(day: String, derive: () -> HMAC<SHA256>) -> HMAC<SHA256> {
        if let hit = cached.withLock({ $0?.day == day ? $0?.key : nil }) { return hit }
        let key = derive()
        cached.withLock { $0 = (day, key) }
        return key
    }
}

/// RFC 3986 percent-encoding as SigV4 specifies it (unreserved bytes kept, uppercase hex).
enum URIEncoding {
    // A switch rather than a lookup table: no global to initialise-check on every byte.
    @inline(__always)
    static func keeps(_ byte: UInt8, keepSlash: Bool) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: true
        case 0x2F: keepSlash
        default: false
        }
    }

    @inline(__always)
    static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x37 + value
    }

    static func encode(_ text: String, keepSlash: Bool) -> String {
        var needsWork = false
        for byte in text.utf8 where !keeps(byte, keepSlash: keepSlash) {
            needsWork = true
            break
        }
        if !needsWork { return text }
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count * 3)
        for byte in text.utf8 {
            if keeps(byte, keepSlash: keepSlash) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func append<D: Sequence>(_ bytes: D, to out: inout [UInt8]) where D.Element == UInt8 {
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    static func string<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        var out = [UInt8]()
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
