import Crypto
import Foundation

/// JSON Web Tokens signed with HMAC-SHA256: LiveKit access and webhook tokens, viewer tokens.
///
/// Verification accepts only `alg: HS256` (never `none` or another algorithm named by the
/// token) and compares the signature in constant time. Claims (expiry, issuer, ...) are
/// checked by the caller against its own clock.
public enum HS256JWT {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed
        case unsupportedAlgorithm(String)
        case badSignature

        public var description: String {
            switch self {
            case .malformed: "not a JWT"
            case .unsupportedAlgorithm(let name): "unsupported algorithm \(name) (only HS256)"
            case .badSignature: "signature does not match"
            }
        }
    }

    private static let header = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    /// Signs `claims` (any JSON object) with `secret`.
    public static func sign<Claims: Encodable>(_ claims: Claims, secret: [UInt8]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = Base64URL.encode(try encoder.encode(claims))
        let signingInput = header + "." + payload
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: secret))
        return signingInput + "." + Base64URL.encode(Data(mac))
    }

    /// The `kid` of a token's header (which key signed it), without checking anything else.
    public static func keyID(_ token: String) -> String? {
        guard let first = token.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first,
            let data = Base64URL.decode(String(first)),
            let header = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        return header["kid"] as? String
    }

    /// Signs `claims` with `secret`, naming the key `kid` in the header.
    public static func sign<Claims: Encodable>(_ claims: Claims, secret: [UInt8], kid: String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = Base64URL.encode(try encoder.encode(["alg": "HS256", "kid": kid, "typ": "JWT"]))
        let signingInput = header + "." + Base64URL.encode(try encoder.encode(claims))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: SymmetricKey(data: secret))
        return signingInput + "." + Base64URL.encode(Data(mac))
    }

    /// The payload bytes of a token, without checking its signature (to find its issuer first).
    public static func unverifiedPayload(_ token: String) throws(Failure) -> Data {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]) else { throw .malformed }
        return payload
    }

    /// The payload bytes of a token whose HS256 signature `secret` produced.
    public static func verify(_ token: String, secret: [UInt8]) throws(Failure) -> Data {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Base64URL.decode(parts[0]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let payload = Base64URL.decode(parts[1]), let signature = Base64URL.decode(parts[2])
        else { throw .malformed }
        guard let algorithm = header["alg"] as? String else { throw .malformed }
        guard algorithm == "HS256" else { throw .unsupportedAlgorithm(algorithm) }
        // Header, dot and payload: the token's bytes up to its second dot.
        let signingInput = token.utf8[token.utf8.startIndex..<parts[1].utf8.endIndex]
        let expected = HMAC<SHA256>.authenticationCode(for: Array(signingInput), using: SymmetricKey(data: secret))
        guard ConstantTime.equals(Array(expected), Array(signature)) else { throw .badSignature }
        return payload
    }
}

/// Registered time claims, in seconds since the epoch.
public struct JWTTimes: Decodable, Sendable, Equatable {
    public var exp: Double?
    public var nbf: Double?
    public var iat: Double?

    public init(exp: Double?, nbf: Double?, iat: Double?) {
        self.exp = exp
        self.nbf = nbf
        self.iat = iat
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case missingExpiry
        case expired
        case notYetValid

        public var description: String {
            switch self {
            case .missingExpiry: "token has no expiry (exp)"
            case .expired: "token has expired"
            case .notYetValid: "token is not valid yet (nbf)"
            }
        }
    }

    /// Checks `exp` (required) and `nbf` against `now`, allowing `leeway` seconds of clock skew.
    public func check(now: Date, leeway: TimeInterval) throws(Problem) {
        guard let exp else { throw .missingExpiry }
        let seconds = now.timeIntervalSince1970
        guard seconds <= exp + leeway else { throw .expired }
        if let nbf, seconds + leeway < nbf { throw .notYetValid }
    }
}
