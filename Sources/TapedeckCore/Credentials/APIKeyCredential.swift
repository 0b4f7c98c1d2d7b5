import Foundation

/// An admin API key as handed to its owner: `tdk_<lookup>_<secret>`.
///
/// The lookup part finds the row without revealing anything; only the SHA-256 of the secret
/// is stored, and it is compared in constant time, so neither the database index nor the
/// comparison leaks how much of a guessed key was right.
public struct APIKeyCredential: Sendable, Equatable {
    public static let prefix = "tdk_"
    public static let lookupLength = 12
    public static let secretLength = 40  // ≈ 238 bits

    public let lookup: String
    public let secret: String

    public init(lookup: String, secret: String) {
        self.lookup = lookup
        self.secret = secret
    }

    public static func generate() -> APIKeyCredential {
        APIKeyCredential(
            lookup: RandomToken.base62(length: lookupLength), secret: RandomToken.base62(length: secretLength))
    }

    /// The full key, shown once when created.
    public var token: String { "\(Self.prefix)\(lookup)_\(secret)" }

    public var secretHash: String { RandomToken.sha256Hex(secret) }

    /// Splits a presented key; `nil` when it does not have the shape of a Tapedeck key.
    public static func parse(_ token: String) -> APIKeyCredential? {
        guard token.hasPrefix(prefix) else { return nil }
        let rest = token.dropFirst(prefix.count)
        let parts = rest.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == lookupLength, parts[1].count == secretLength,
            parts.allSatisfy({ $0.utf8.allSatisfy(isBase62) })
        else { return nil }
        return APIKeyCredential(lookup: String(parts[0]), secret: String(parts[1]))
    }

    /// Does the stored hash belong to this key's secret?
    public func matches(storedHash: String) -> Bool {
        ConstantTime.equals(secretHash, storedHash)
    }

    private static func isBase62(_ c: UInt8) -> Bool {
        (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c)
    }
}

/// An API key as stored (never the secret itself).
public struct APIKey: Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var lookup: String
    public var secretHash: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// The organization the key is limited to; `nil` for a global key that sees everything.
    public var organizationID: UUID? = nil

    public init(
        id: UUID, name: String, lookup: String, secretHash: String, createdAt: Date, lastUsedAt: Date?,
        revokedAt: Date?
    ) {
        self.id = id
        self.name = name
        self.lookup = lookup
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}
