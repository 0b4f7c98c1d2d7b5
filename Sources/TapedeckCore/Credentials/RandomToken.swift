import Crypto
import Foundation

/// Random identifiers and secrets, and the hashes stored in their place.
public enum RandomToken {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `length` characters of base62 drawn from the system CSPRNG (about 5.95 bits each).
    ///
    /// Each 64-bit draw yields ten characters (62^10 < 2^64); draws at or above the largest
    /// multiple of 62^10 are rejected so every character stays uniform.
    public static func base62(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let perWord: UInt64 = 839_299_365_868_340_224  // 62^10
        let limit = UInt64.max - UInt64.max % perWord
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        while bytes.count < length {
            var word = generator.next()
            guard word < limit else { continue }
            word %= perWord
            for _ in 0..<min(10, length - bytes.count) {
                bytes.append(alphabet[Int(word % 62)])
                word /= 62
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` bytes from the system CSPRNG.
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Lowercase hex SHA-256, the form in which secrets are stored.
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexString
    }
}

extension Sequence where Element == UInt8 {
    public var hexString: String {
        var out = ""
        for byte in self {
            out += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return out
    }
}

extension Digest {
    public var hexString: String { Array(self).hexString }
}
