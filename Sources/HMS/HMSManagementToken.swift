import Crypto
import Foundation
import Synchronization

/// The access key and secret of a 100ms workspace (Developer → App access keys).
public struct HMSCredentials: Sendable, Equatable {
    public var accessKey: String
    public var secret: String

    public init(accessKey: String, secret: String) {
        self.accessKey = accessKey
        self.secret = secret
    }
}

/// JSON Web Tokens signed with HMAC-SHA256, as 100ms' management API reads them.
public enum HMSJWT {
    /// The header every token carries, as the JSON bytes that are signed.
    public static let header = #"{"alg":"HS256","typ":"JWT"}"#

    /// `base64url(header) "." base64url(payload) "." base64url(HMAC-SHA256)` over the given bytes.
    public static func sign(header: some DataProtocol, payload: some DataProtocol, secret: some DataProtocol) -> String {
        let signingInput = base64URL(Data(header)) + "." + base64URL(Data(payload))
        return signingInput + "." + signature(signingInput: signingInput, secret: secret)
    }

    /// The signature part for `signingInput` (`header.payload`, both already encoded).
    public static func signature(signingInput: String, secret: some DataProtocol) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: Array(secret)))
        return base64URL(Data(mac))
    }

    /// The payload of `token` when its header names HS256 and `secret` made its signature
    /// (compared in constant time); `nil` otherwise. Claims are not checked.
    public static func verifiedPayload(_ token: String, secret: some DataProtocol) -> Data? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = decodeBase64URL(parts[0]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            header["alg"] as? String == "HS256", let payload = decodeBase64URL(parts[1]),
            let given = decodeBase64URL(parts[2])
        else { return nil }
        let expected = HMAC<SHA256>.authenticationCode(
            for: Array((parts[0] + "." + parts[1]).utf8), using: SymmetricKey(data: Array(secret)))
        let expectedBytes = Array(expected)
        guard given.count == expectedBytes.count else { return nil }
        var difference: UInt8 = 0
        for (a, b) in zip(given, expectedBytes) { difference |= a ^ b }
        return difference == 0 ? payload : nil
    }

    static func base64URL(_ data: Data) -> String {
        var text = data.base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64)
    }
}

/// A management token: HS256 over `access_key`, `type: "management"`, `version: 2`, `iat`,
/// `nbf`, `exp` and `jti`, with `iat` backdated against clock skew.
public struct HMSManagementToken: Sendable, Equatable {
    /// The compact JWT, sent as `Authorization: Bearer <token>`.
    public var token: String
    public var issuedAt: Date
    public var expiresAt: Date
    public var jti: String

    /// How far `iat` (and `nbf`) lie before the moment of minting.
    public static let backdate: TimeInterval = 10
    /// 100ms' own SDKs mint for a day.
    public static let defaultLifetime: TimeInterval = 24 * 3600

    /// Mints a token at `now`; `jti` defaults to a fresh lowercase UUID.
    public static func mint(
        _ credentials: HMSCredentials, now: Date, jti: String = UUID().uuidString.lowercased(),
        lifetime: TimeInterval = defaultLifetime
    ) -> HMSManagementToken {
        let iat = Int64(now.timeIntervalSince1970.rounded(.down)) - Int64(backdate)
        let exp = iat + Int64(lifetime)
        let payload = claimsJSON(accessKey: credentials.accessKey, iat: iat, exp: exp, jti: jti)
        let token = HMSJWT.sign(header: Data(HMSJWT.header.utf8), payload: payload, secret: Data(credentials.secret.utf8))
        return HMSManagementToken(
            token: token, issuedAt: Date(timeIntervalSince1970: TimeInterval(iat)),
            expiresAt: Date(timeIntervalSince1970: TimeInterval(exp)), jti: jti)
    }

    /// The payload bytes: compact JSON, keys sorted, `/` not escaped.
    static func claimsJSON(accessKey: String, iat: Int64, exp: Int64, jti: String) -> Data {
        let claims: [String: Any] = [
            "access_key": accessKey, "exp": exp, "iat": iat, "jti": jti, "nbf": iat, "type": "management", "version": 2,
        ]
        // Only strings and integers: serialization cannot fail.
        return (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    }
}

/// Hands out the current management token, minting a new one when none is cached, when the
/// cached one is within `refreshMargin` of expiry, or after ``invalidate()``.
public final class HMSTokenSource: Sendable {
    public let credentials: HMSCredentials
    public let lifetime: TimeInterval
    public let refreshMargin: TimeInterval
    private let clock: @Sendable () -> Date
    private let makeJTI: @Sendable () -> String
    private let cached = Mutex<HMSManagementToken?>(nil)
    private let mints = Atomic<Int>(0)

    public init(
        credentials: HMSCredentials, lifetime: TimeInterval = HMSManagementToken.defaultLifetime,
        refreshMargin: TimeInterval = 30, clock: @escaping @Sendable () -> Date = Date.init,
        jti: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }
    ) {
        self.credentials = credentials
        self.lifetime = lifetime
        self.refreshMargin = refreshMargin
        self.clock = clock
        self.makeJTI = jti
    }

    /// How many tokens this source has minted.
    public var mintCount: Int { mints.load(ordering: .relaxed) }

    /// The token to send now.
    public func current() -> HMSManagementToken {
        let now = clock()
        return cached.withLock { cached in
            if let token = cached, now < token.expiresAt.addingTimeInterval(-refreshMargin) { return token }
            let token = HMSManagementToken.mint(credentials, now: now, jti: makeJTI(), lifetime: lifetime)
            mints.add(1, ordering: .relaxed)
            cached = token
            return token
        }
    }

    /// The compact JWT of ``current()``.
    public func token() -> String { current().token }

    /// Forgets the cached token (100ms refused it), so the next call mints a new one. Only drops
    /// `rejected` when given, so concurrent callers refused the same token re-mint once.
    public func invalidate(_ rejected: String? = nil) {
        cached.withLock { cached in
            if rejected == nil || cached?.token == rejected { cached = nil }
        }
    }
}
