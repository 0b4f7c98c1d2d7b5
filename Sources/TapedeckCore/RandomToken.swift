import Crypto
import Foundation

/// Random identifiers and secrets, and the hashes stored in their place.
public enum RandomToken {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// `length` characters of base62 drawn from the system CSPRNG (about 5.95 bits each).
    public static func base62(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        for _ in 0..<length {
            bytes.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))])
        }
        return String(decoding: bytes, as: UTF8.self)
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
