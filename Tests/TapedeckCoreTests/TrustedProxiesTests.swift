import Testing
import TapedeckCore

@Suite("Trusted proxies")
struct TrustedProxiesTests {
    @Test("X-Forwarded-For is believed only from a trusted proxy, read from the right")
    func clientAddress() throws {
        let proxies = try TrustedProxies(parsing: "10.0.0.0/8, 127.0.0.1, fd00::/8")
        #expect(proxies.clientAddress(peer: "203.0.113.9", forwardedFor: "1.2.3.4") == "203.0.113.9")
        #expect(proxies.clientAddress(peer: "127.0.0.1", forwardedFor: "198.51.100.7") == "198.51.100.7")
        // A client that writes its own header cannot pick its address: the last untrusted hop wins.
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: "6.6.6.6, 198.51.100.7, 10.2.2.2") == "198.51.100.7")
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: "<script>, 10.2.2.2") == "10.1.1.1")
        #expect(proxies.clientAddress(peer: "10.1.1.1", forwardedFor: nil) == "10.1.1.1")
        #expect(proxies.contains("fd12::1") && !proxies.contains("fe80::1") && !proxies.contains("11.0.0.1"))
        #expect(TrustedProxies().clientAddress(peer: "127.0.0.1", forwardedFor: "1.2.3.4") == "127.0.0.1")
        #expect(throws: TrustedProxies.ParseError.self) { try TrustedProxies(parsing: "10.0.0.0/33") }
        #expect(throws: TrustedProxies.ParseError.self) { try TrustedProxies(parsing: "proxy.local") }
        #expect(throws: TrustedProxies.ParseError.self) { try TrustedProxies(parsing: "10.0.0.0/8,/") }
        #expect(throws: TrustedProxies.ParseError.self) { try TrustedProxies(parsing: "10.0.0.1/") }
        // A dual-stack listener sees IPv4 peers as IPv4-mapped IPv6 addresses.
        #expect(proxies.clientAddress(peer: "::ffff:10.0.0.5", forwardedFor: "198.51.100.7") == "198.51.100.7")
    }
}
