import Foundation

/// The reverse proxies whose `X-Forwarded-For` is believed (`TAPEDECK_TRUSTED_PROXIES`, CIDRs).
/// Anyone else could write any address into that header, so from them the peer address is the
/// client's.
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        var bytes: [UInt8]
        var prefixLength: Int
    }

    var networks: [Network]

    public init() { networks = [] }

    /// Comma-separated CIDRs (`10.0.0.0/8, 127.0.0.1, ::1/128`); a bare address is one host.
    public init(parsing list: String) throws(ParseError) {
        networks = []
        for item in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard let bytes = Self.bytes(parts[0]) else { throw ParseError(item: item) }
            let length = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let length, (0...(bytes.count * 8)).contains(length) else { throw ParseError(item: item) }
            networks.append(Network(bytes: bytes, prefixLength: length))
        }
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var item: String
        public var description: String { "\"\(item)\" is not an IP address or CIDR network" }
    }

    public var isEmpty: Bool { networks.isEmpty }

    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return networks.contains { network in
            guard network.bytes.count == bytes.count else { return false }
            var remaining = network.prefixLength
            for (a, b) in zip(network.bytes, bytes) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if a & mask != b & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` (read from the right) that is not a trusted proxy itself.
    public func clientAddress(peer: String, forwardedFor: String?) -> String {
        guard contains(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !hop.isEmpty {
            if Self.bytes(hop) == nil { return peer }  // not an address: the chain cannot be trusted past here
            if !contains(hop) { return hop }
        }
        return hops.first { !$0.isEmpty } ?? peer
    }

    /// The address's bytes; an IPv4-mapped IPv6 address (`::ffff:10.0.0.5`, how a dual-stack
    /// listener sees IPv4 peers) as its IPv4 bytes.
    static func bytes(_ address: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}
