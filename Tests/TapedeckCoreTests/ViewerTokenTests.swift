import Crypto
import Foundation
import Testing
import TapedeckCore

@Suite("Viewer tokens")
struct ViewerTokenTests {
    static let secret = Array("a-viewer-secret-of-at-least-32-bytes!".utf8)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func validTokensCarryTheViewer() throws {
        let minted = try ViewerToken.mint(
            ViewerClaims(sub: "ada", name: "Ada", email: "ada@example.com", exp: Self.now.timeIntervalSince1970 + 60),
            secret: Self.secret)
        let claims = try ViewerToken.verify(minted, secret: Self.secret, now: Self.now)
        #expect(claims.sub == "ada" && claims.name == "Ada" && claims.email == "ada@example.com")
    }

    @Test func expiryIsRequiredAndEnforcedWithLeeway() throws {
        let exp = Self.now.timeIntervalSince1970
        let minted = try ViewerToken.mint(ViewerClaims(sub: "ada", name: nil, email: nil, exp: exp), secret: Self.secret)
        #expect(throws: Never.self) { try ViewerToken.verify(minted, secret: Self.secret, now: Self.now.addingTimeInterval(29)) }
        #expect(throws: ViewerToken.Rejection.self) {
            try ViewerToken.verify(minted, secret: Self.secret, now: Self.now.addingTimeInterval(31))
        }
        let noExpiry = HMACHelper.token(#"{"sub":"ada"}"#, secret: Self.secret)
        #expect(throws: ViewerToken.Rejection.self) { try ViewerToken.verify(noExpiry, secret: Self.secret, now: Self.now) }
    }

    @Test func otherAlgorithmsSecretsAndSubjectsAreRefused() throws {
        let exp = Int(Self.now.timeIntervalSince1970) + 60
        let none = Base64URL.encode(Data(#"{"alg":"none"}"#.utf8)) + "." + Base64URL.encode(Data(#"{"sub":"ada","exp":\#(exp)}"#.utf8)) + "."
        #expect(throws: ViewerToken.Rejection.self) { try ViewerToken.verify(none, secret: Self.secret, now: Self.now) }
        let other = HMACHelper.token(#"{"sub":"ada","exp":\#(exp)}"#, secret: Array("another-secret-another-secret-123".utf8))
        #expect(throws: ViewerToken.Rejection.badSignature) { try ViewerToken.verify(other, secret: Self.secret, now: Self.now) }
        for payload in [#"{"sub":"","exp":\#(exp)}"#, #"{"sub":"a\u0001b","exp":\#(exp)}"#, #"{"sub":42,"exp":\#(exp)}"#,
                        #"{"sub":"ada","exp":"soon"}"#] {
            #expect(throws: ViewerToken.Rejection.self, "\(payload)") {
                try ViewerToken.verify(HMACHelper.token(payload, secret: Self.secret), secret: Self.secret, now: Self.now)
            }
        }
    }
}

/// Signs arbitrary JSON text as an HS256 JWT (the library only signs Encodable values).
enum HMACHelper {
    static func sign(_ input: String, secret: [UInt8]) -> String {
        Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))))
    }

    static func token(_ payload: String, secret: [UInt8]) -> String {
        let input = Base64URL.encode(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8)) + "." + Base64URL.encode(Data(payload.utf8))
        return input + "." + sign(input, secret: secret)
    }
}
