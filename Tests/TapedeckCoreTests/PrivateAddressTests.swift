import Testing
import TapedeckCore

@Suite("Private addresses")
struct PrivateAddressTests {
    @Test("loopback, private, link-local, CGNAT, ULA and mapped forms are private; public ones are not")
    func classes() {
        for address in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                        "100.64.0.1", "0.0.0.0", "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1",
                        "::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe"] {
            #expect(PrivateAddress.isPrivate(address) == true, "\(address)")
        }
        for address in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"] {
            #expect(PrivateAddress.isPrivate(address) == false, "\(address)")
        }
        #expect(PrivateAddress.isPrivate("example.com") == nil)
    }
}
