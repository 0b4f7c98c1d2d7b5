import Foundation
import Testing
import TapedeckCore

@Suite("Shares")
struct ShareTests {
    @Test func tokensAreLongRandomAndRecognised() {
        let tokens = (0..<100).map { _ in ShareToken.generate() }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy(ShareToken.isWellFormed))
        // 32 base62 characters: log2(62) * 32 ≈ 190 bits, above the 128 asked for.
        #expect(Double(ShareToken.length) * log2(62) >= 128)
        #expect(!ShareToken.isWellFormed("short"))
        #expect(!ShareToken.isWellFormed(String(repeating: "-", count: 32)))
        #expect(ShareToken.hash(tokens[0]) != ShareToken.hash(tokens[1]))
    }

    @Test func passcodesAreStoredWithPBKDF2AndASaltOfTheirOwn() {
        let stored = Passcode.hash("1234")
        #expect(stored.hasPrefix("pbkdf2-sha256$\(Passcode.iterations)$"))
        #expect(Passcode.matches("1234", storedHash: stored))
        #expect(!Passcode.matches("1235", storedHash: stored))
        #expect(!stored.contains("1234"))
        #expect(Passcode.hash("1234") != stored)  // a new salt each time
        #expect(!Passcode.needsRehash(stored))
        for garbage in ["garbage", "pbkdf2-sha256$x$00$00", "pbkdf2-sha256$1$zz$" + String(repeating: "0", count: 64), "a$b$c"] {
            #expect(!Passcode.matches("1234", storedHash: garbage))
        }
    }

    /// Hashes stored before PBKDF2 (`salt$hex(SHA-256(salt + passcode))`) keep working, and ask to be upgraded.
    @Test func theEarlierSaltedSHA256FormatStillVerifies() {
        let salt = "AbCdEfGhIjKlMnOp"
        let legacy = salt + "$" + RandomToken.sha256Hex(salt + "open sesame")
        #expect(Passcode.matches("open sesame", storedHash: legacy))
        #expect(!Passcode.matches("open sesamE", storedHash: legacy))
        #expect(Passcode.needsRehash(legacy))
        #expect(Passcode.needsRehash(Passcode.hash("x", iterations: 1000)))
    }

    /// PBKDF2-HMAC-SHA256 vectors: the two of RFC 7914 section 11 and the RFC 6070 inputs with
    /// SHA-256 (as computed by Python's hashlib.pbkdf2_hmac).
    @Test(arguments: [
        ("password", "salt", 1, 32, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        ("password", "salt", 2, 32, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
        ("password", "salt", 4096, 32, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
        ("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 40,
         "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9"),
        ("pass\u{0}word", "sa\u{0}lt", 4096, 16, "89b69d0516f829893c696226650a8687"),
        ("passwd", "salt", 1, 64,
         "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"),
        ("Password", "NaCl", 80000, 64,
         "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"),
    ])
    func pbkdf2MatchesKnownVectors(password: String, salt: String, iterations: Int, length: Int, expected: String) {
        #expect(Passcode.derive(password, salt: Array(salt.utf8), iterations: iterations, length: length).hexString == expected)
    }

    @Test func sharesAreUsableUntilExpiredOrRevoked() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var share = Share(
            id: UUID(), recordingID: UUID(), email: nil, passcodeHash: nil, allowDownload: false,
            expiresAt: now.addingTimeInterval(60), revokedAt: nil, createdBy: "test", views: 0, createdAt: now)
        #expect(share.isUsable(at: now))
        #expect(!share.isUsable(at: now.addingTimeInterval(60)))
        share.revokedAt = now
        #expect(!share.isUsable(at: now))
    }
}
