import Crypto
import Foundation

/// A link that lets someone outside the session watch one recording until it expires or is revoked.
public struct Share: Sendable, Equatable {
    public var id: UUID
    public var recordingID: UUID
    /// Only a viewer whose token carries this email may use the link.
    public var email: String?
    public var hasPasscode: Bool
    public var passcodeHash: String?
    public var allowDownload: Bool
    public var expiresAt: Date
    public var revokedAt: Date?
    public var createdBy: String
    public var views: Int64
    public var createdAt: Date

    public init(
        id: UUID, recordingID: UUID, email: String?, passcodeHash: String?, allowDownload: Bool, expiresAt: Date,
        revokedAt: Date?, createdBy: String, views: Int64, createdAt: Date
    ) {
        self.id = id
        self.recordingID = recordingID
        self.email = email
        self.hasPasscode = passcodeHash != nil
        self.passcodeHash = passcodeHash
        self.allowDownload = allowDownload
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.createdBy = createdBy
        self.views = views
        self.createdAt = createdAt
    }

    public func isUsable(at now: Date) -> Bool { revokedAt == nil && expiresAt > now }
}

/// The secret of a share link (`/s/{token}`): 32 base62 characters, about 190 random bits; only
/// its SHA-256 is stored.
public enum ShareToken {
    public static let length = 32

    public static func generate() -> String { RandomToken.base62(length: length) }

    public static func hash(_ token: String) -> String { RandomToken.sha256Hex("share:" + token) }

    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == length && token.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) }
    }
}

/// Share passcodes, stored as `salt$hex(SHA-256(salt + passcode))` and compared in constant time.
/// Wrong guesses are rate-limited where they are checked, which is what makes a fast hash enough.
public enum Passcode {
    public static func hash(_ passcode: String, salt: String = RandomToken.base62(length: 16)) -> String {
        salt + "$" + RandomToken.sha256Hex(salt + passcode)
    }

    public static func matches(_ passcode: String, storedHash: String) -> Bool {
        guard let separator = storedHash.firstIndex(of: "$") else { return false }
        let salt = String(storedHash[..<separator])
        return ConstantTime.equals(Array(hash(passcode, salt: salt).utf8), Array(storedHash.utf8))
    }
}

/// Counts wrong passcodes per share: after `limit` failures within `window`, further tries are
/// refused until the oldest failure leaves the window.
public struct AttemptLimiter: Sendable {
    public var limit: Int
    public var window: TimeInterval
    private var failures: [String: [Date]] = [:]

    public init(limit: Int = 5, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait before trying again, or `nil` when a try is allowed now.
    public mutating func retryAfter(_ key: String, now: Date) -> Int? {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < window }
        failures[key] = recent.isEmpty ? nil : recent
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
    }

    public mutating func recordFailure(_ key: String, now: Date) {
        failures[key, default: []].append(now)
        // Bound memory: forget keys whose failures are all outside the window.
        if failures.count > 10_000 {
            failures = failures.filter { $0.value.contains { now.timeIntervalSince($0) < window } }
        }
    }
}
