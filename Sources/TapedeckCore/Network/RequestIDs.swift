import Synchronization

/// Request ids: a random per-process prefix and a counter, both base62 (16 characters).
///
/// Ids only need to be unique, not secret, and the server hands out one per request: drawing
/// from the system's random source for each was a syscall on every request.
public enum RequestIDs {
    private static let prefix = RandomToken.base62(length: 6)
    private static let counter = Atomic<UInt64>(0)
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    public static func next() -> String {
        var value = counter.add(1, ordering: .relaxed).newValue
        var digits = [UInt8](repeating: 48, count: 10)
        var index = 9
        while value > 0, index >= 0 {
            digits[index] = alphabet[Int(value % 62)]
            value /= 62
            index -= 1
        }
        return prefix + String(decoding: digits, as: UTF8.self)
    }
}
