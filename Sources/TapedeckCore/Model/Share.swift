import Crypto
import Foundation
import _CryptoExtras

/// A link that lets someone outside the session watch one recording until it expires or is revoked.
public struct Share: Sendable, Equatable {
    public var id: UUID
    public var recordingID: UUID
    /// Only a viewer whose token carries this email may use the link; or, when
    /// ``linkIsCredential``, the link was sent to this address and holding it stands for it.
    public var email: String?
    /// The link was emailed to ``email`` (an invitation or a requested link): opening it needs no
    /// viewer token, and every use is audited under that email. A viewer signed in with another
    /// email is still refused. Shares made through the API never have it.
    public var linkIsCredential: Bool = false
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

/// Share passcodes, stored as `pbkdf2-sha256$<iterations>$<salt hex>$<key hex>`: PBKDF2-HMAC-SHA256
/// with a per-share random 16-byte salt and a 32-byte key, compared in constant time. The
/// iteration count is stored with each hash, so raising ``iterations`` later leaves older shares
/// verifiable (and ``needsRehash(_:)`` tells when to upgrade one).
///
/// Shares made before this format stored `salt$hex(SHA-256(salt + passcode))`; those still
/// verify, and the caller re-hashes them with PBKDF2 on the first right passcode.
public enum Passcode {
    /// 210,000 rounds: the least swift-crypto's checked PBKDF2 accepts (OWASP's floor for
    /// PBKDF2-HMAC-SHA512; about a tenth of a second per check here). Wrong guesses are also
    /// rate-limited per share, so this guards a leaked catalog rather than the login form.
    public static let iterations = 210_000
    static let scheme = "pbkdf2-sha256"
    public static let keyLength = 32

    public static func hash(_ passcode: String, salt: [UInt8] = RandomToken.bytes(16), iterations: Int = iterations) -> String {
        let key = derive(passcode, salt: salt, iterations: iterations)
        return "\(scheme)$\(iterations)$\(salt.hexString)$\(key.hexString)"
    }

    public static func matches(_ passcode: String, storedHash: String) -> Bool {
        let parts = storedHash.split(separator: "$", omittingEmptySubsequences: false)
        if parts.count == 4, parts[0] == scheme {
            guard let iterations = Int(parts[1]), (1...10_000_000).contains(iterations), let salt = bytes(hex: parts[2]),
                let expected = bytes(hex: parts[3]), expected.count == keyLength
            else { return false }
            return ConstantTime.equals(derive(passcode, salt: salt, iterations: iterations), expected)
        }
        // The earlier format: `salt$hex(SHA-256(salt + passcode))`.
        guard parts.count == 2 else { return false }
        let salt = String(parts[0])
        let legacy = salt + "$" + RandomToken.sha256Hex(salt + passcode)
        return ConstantTime.equals(Array(legacy.utf8), Array(storedHash.utf8))
    }

    /// Whether a stored hash is in an older format or weaker than today's, and should be
    /// replaced once the passcode is known to be right.
    public static func needsRehash(_ storedHash: String) -> Bool {
        let parts = storedHash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let rounds = Int(parts[1]) else { return true }
        return rounds < iterations
    }

    /// PBKDF2-HMAC-SHA256 (RFC 8018) over the passcode's UTF-8.
    public static func derive(_ passcode: String, salt: [UInt8], iterations: Int, length: Int = keyLength) -> [UInt8] {
        // Unchecked: the checked call refuses counts below its floor, and verifying stored hashes
        // (and the RFC test vectors) needs the count each hash was made with.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(passcode.utf8), salt: salt, using: .sha256, outputByteCount: length,
            unsafeUncheckedRounds: iterations)
        return key.withUnsafeBytes { Array($0) }
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
