import Foundation

/// Who is watching: the claims of a viewer token, an HS256 JWT the customer's backend mints
/// (with any JWT library) or asks Tapedeck for. `sub` is the same string as the LiveKit
/// participant identity, so "was in the session" is a lookup by identity.
public struct ViewerClaims: Codable, Sendable, Equatable {
    public var sub: String
    public var name: String?
    public var email: String?
    public var exp: Double
    public var iat: Double?
    public var nbf: Double?
    /// The organization (slug) the token is for; only a token signed with that organization's
    /// key (named by `kid` in the header) is believed, or with the global secret when the
    /// organization allows it.
    public var org: String? = nil
    /// `member` or `admin` within `org` (member when left out).
    public var orgRole: String? = nil

    enum CodingKeys: String, CodingKey {
        case sub, name, email, exp, iat, nbf, org, orgRole = "org_role"
    }

    public init(sub: String, name: String?, email: String?, exp: Double, iat: Double? = nil, nbf: Double? = nil) {
        self.sub = sub
        self.name = name
        self.email = email
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
    }
}

public enum ViewerToken {
    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case malformed
        case badSignature
        case invalidClaims(String)
        case expired(String)

        public var description: String {
            switch self {
            case .malformed: "not a viewer token"
            case .badSignature: "viewer token signature does not match"
            case .invalidClaims(let why): "viewer token claims are invalid: \(why)"
            case .expired(let why): why
            }
        }
    }

    /// Clock skew tolerated between the minting backend and Tapedeck.
    public static let leeway: TimeInterval = 30
    public static let maximumIdentityLength = 256

    /// Verifies signature, `exp` (required), `nbf`, and that `sub` is a usable identity.
    public static func verify(_ token: String, secret: [UInt8], now: Date) throws(Rejection) -> ViewerClaims {
        let payload: Data
        do {
            payload = try HS256JWT.verify(token, secret: secret)
        } catch {
            throw error == .badSignature ? .badSignature : .malformed
        }
        guard let times = try? JSONDecoder().decode(JWTTimes.self, from: payload) else {
            throw .invalidClaims("exp, nbf and iat must be numbers")
        }
        do {
            try times.check(now: now, leeway: leeway)
        } catch {
            throw .expired(error.description)
        }
        guard let claims = try? JSONDecoder().decode(ViewerClaims.self, from: payload) else {
            throw .invalidClaims("sub (a string) and exp are required; name, email, org and org_role must be strings")
        }
        guard !claims.sub.isEmpty, claims.sub.unicodeScalars.count <= maximumIdentityLength,
            !claims.sub.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { throw .invalidClaims("sub must be 1 to \(maximumIdentityLength) characters without control characters") }
        return claims
    }

    public static func mint(_ claims: ViewerClaims, secret: [UInt8]) throws -> String {
        try HS256JWT.sign(claims, secret: secret)
    }
}
