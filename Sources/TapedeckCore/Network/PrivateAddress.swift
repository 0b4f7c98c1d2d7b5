import Foundation

/// Addresses an outbound request must not reach when private targets are refused: loopback,
/// private ranges, link-local (cloud metadata services live there), carrier-grade NAT, unique
/// local IPv6, unspecified and multicast.
public enum PrivateAddress {
    /// Whether a numeric IPv4 or IPv6 address is one of those; `nil` when it is not an address.
    public static func isPrivate(_ address: String) -> Bool? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            let b = withUnsafeBytes(of: v4.s_addr) { Array($0) }
            return isPrivateV4(b)
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return nil }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        // IPv4-mapped (::ffff:a.b.c.d) is judged by its IPv4 part.
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return isPrivateV4(Array(b[12..<16])) }
        if b[0..<15].allSatisfy({ $0 == 0 }) { return true }  // :: and ::1
        if b[0] == 0xFE && (b[1] & 0xC0) == 0x80 { return true }  // fe80::/10 link-local
        if (b[0] & 0xFE) == 0xFC { return true }  // fc00::/7 unique local
        if b[0] == 0xFF { return true }  // multicast
        // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last four bytes.
        if b[0..<12] == [0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return isPrivateV4(Array(b[12..<16])) }
        return false
    }

    static func isPrivateV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return true
        case (100, 64...127): return true  // carrier-grade NAT
        case (169, 254): return true
        case (172, 16...31): return true
        case (192, 168): return true
        case (224...255, _): return true  // multicast, reserved, broadcast
        default: return false
        }
    }
}
