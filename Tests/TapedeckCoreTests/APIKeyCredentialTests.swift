import Testing
import TapedeckCore

@Suite("API key credentials")
struct APIKeyCredentialTests {
    @Test func generatedKeysParseBack() throws {
        let credential = APIKeyCredential.generate()
        let parsed = try #require(APIKeyCredential.parse(credential.token))
        #expect(parsed == credential)
        #expect(credential.token.hasPrefix("tdk_"))
        #expect(credential.matches(storedHash: credential.secretHash))
    }

    @Test func keysAreDistinct() {
        let keys = Set((0..<200).map { _ in APIKeyCredential.generate().token })
        #expect(keys.count == 200)
    }

    @Test func wrongSecretDoesNotMatch() {
        let a = APIKeyCredential.generate()
        let b = APIKeyCredential(lookup: a.lookup, secret: APIKeyCredential.generate().secret)
        #expect(!b.matches(storedHash: a.secretHash))
    }

    @Test("malformed keys are refused", arguments: [
        "", "tdk_", "Bearer tdk_x", "tdk_short_secret", "sk_live_abcdef",
        "tdk_" + String(repeating: "a", count: 12) + "_" + String(repeating: "b", count: 39),
        "tdk_" + String(repeating: "a", count: 12) + "_" + String(repeating: "b", count: 39) + "!",
        "tdk_" + String(repeating: "a", count: 12) + "-" + String(repeating: "b", count: 40),
        "tdk_" + String(repeating: "a", count: 12) + "_" + String(repeating: "b", count: 40) + "_x",
    ])
    func malformed(token: String) {
        #expect(APIKeyCredential.parse(token) == nil)
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals("abc", "abc"))
        #expect(!ConstantTime.equals("abc", "abd"))
        #expect(!ConstantTime.equals("abc", "ab"))
        #expect(ConstantTime.equals("", ""))
    }
}
