import Crypto
import Foundation
import TapedeckCore

/// Checks that a webhook came from LiveKit: the `Authorization` header (a JWT, without "Bearer")
/// is signed with the secret of the key named in its `iss`, is within its validity (one minute
/// of leeway), and its `sha256` claim is the SHA-256 of the raw body bytes.
public struct WebhookVerifier: Sendable {
    /// API key → secret; several during a key rotation.
    let secrets: [String: [UInt8]]
    public var leeway: TimeInterval = 60

    public init(keys: [LiveKitCredentials]) {
        var secrets: [String: [UInt8]] = [:]
        for key in keys { secrets[key.apiKey] = Array(key.apiSecret.utf8) }
        self.secrets = secrets
    }

    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case missingAuthorization
        case malformedToken
        case unknownKey
        case badSignature
        case expired(String)
        case bodyMismatch

        public var description: String {
            switch self {
            case .missingAuthorization: "no Authorization header"
            case .malformedToken: "the Authorization header is not a LiveKit webhook token"
            case .unknownKey: "the token is signed with an API key Tapedeck does not know"
            case .badSignature: "the token's signature is wrong"
            case .expired(let why): why
            case .bodyMismatch: "the body does not match the token's sha256"
            }
        }
    }

    struct Claims: Decodable {
        var iss: String?
        var sha256: String?
        var exp: Double?
        var nbf: Double?
    }

    /// `value` without surrounding `.whitespaces`. A value that starts and ends with a visible
    /// ASCII character (LiveKit's always does) has none, and skips Foundation's character-set walk.
    static func trimmed(_ value: String) -> String {
        if let first = value.utf8.first, let last = value.utf8.last, (0x21...0x7E).contains(first), (0x21...0x7E).contains(last) {
            return value
        }
        return value.trimmingCharacters(in: .whitespaces)
    }

    public func verify(authorization: String?, body: [UInt8], now: Date) throws(Rejection) {
        guard var token = authorization.map(Self.trimmed), !token.isEmpty else {
            throw .missingAuthorization
        }
        // LiveKit sends the bare token; accept a "Bearer " prefix from proxies that add one.
        if token.prefix(7).lowercased() == "bearer " { token = String(token.dropFirst(7)) }
        guard let unverified = try? HS256JWT.unverifiedPayload(token),
            let claims = try? JSONDecoder().decode(Claims.self, from: unverified), let issuer = claims.iss
        else { throw .malformedToken }
        guard let secret = secrets[issuer] else { throw .unknownKey }
        do {
            _ = try HS256JWT.verify(token, secret: secret)
        } catch {
            throw error == .badSignature ? .badSignature : .malformedToken
        }
        do {
            try JWTTimes(exp: claims.exp, nbf: claims.nbf, iat: nil).check(now: now, leeway: leeway)
        } catch {
            throw .expired(error.description)
        }
        guard let claimed = claims.sha256, let claimedBytes = Data(base64Encoded: claimed) else { throw .bodyMismatch }
        let digest = Array(SHA256.hash(data: body))
        guard ConstantTime.equals(digest, Array(claimedBytes)) else { throw .bodyMismatch }
    }
}
