import Foundation
import Synchronization
import Testing
import TestSupport
@testable import HMS

/// Management tokens against PyJWT (tools/vectors/hms_vectors.py): the same claims must give the
/// same bytes, PyJWT's signatures must verify, and PyJWT must accept what Swift mints.
@Suite("100ms management tokens")
struct ManagementTokenTests {
    struct File: Decodable {
        var tokens: [TokenCase]
        var signatures: [SignatureCase]
        var rejected: [Rejected]
    }

    struct Claims: Decodable, Equatable {
        var access_key: String
        var type: String
        var version: Int
        var iat: Int64
        var nbf: Int64
        var exp: Int64
        var jti: String
    }

    struct TokenCase: Decodable, CustomStringConvertible {
        var name: String
        var access_key: String
        var secret: String
        var now: Double
        var jti: String
        var lifetime: Double
        var claims: Claims
        var token: String
        var description: String { name }
    }

    struct SignatureCase: Decodable, CustomStringConvertible {
        var name: String
        var secret: String
        var header: String
        var payload: String
        var signature: String
        var token: String
        var description: String { name }
    }

    struct Rejected: Decodable, CustomStringConvertible {
        var name: String
        var token: String
        var description: String { name }
    }

    static let file: File = {
        let url = Bundle.module.url(forResource: "hms_tokens", withExtension: "json")!
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()
    static let secret = "hms-vector-secret/with+symbols=and-enough-entropy-0123456789"

    static func claims(of token: String) throws -> Claims {
        let payload = try #require(HMSJWT.decodeBase64URL(token.split(separator: ".")[1]))
        return try JSONDecoder().decode(Claims.self, from: payload)
    }

    @Test("claims: access_key, type, numeric version 2, iat backdated 10 s, nbf = iat, exp = iat + 24 h, fresh jti")
    func claims() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000.75)
        let credentials = HMSCredentials(accessKey: "access-key", secret: "secret")
        let first = HMSManagementToken.mint(credentials, now: now)
        let second = HMSManagementToken.mint(credentials, now: now)
        let claims = try Self.claims(of: first.token)
        #expect(claims.access_key == "access-key" && claims.type == "management" && claims.version == 2)
        #expect(claims.iat == 1_800_000_000 - 10 && claims.nbf == claims.iat && claims.exp == claims.iat + 86_400)
        #expect(UUID(uuidString: claims.jti) != nil && claims.jti == claims.jti.lowercased())
        #expect(try Self.claims(of: second.token).jti != claims.jti)
        #expect(first.issuedAt == Date(timeIntervalSince1970: 1_799_999_990))
        #expect(first.expiresAt == Date(timeIntervalSince1970: 1_800_086_390))
        let payload = String(decoding: HMSJWT.decodeBase64URL(first.token.split(separator: ".")[1])!, as: UTF8.self)
        #expect(payload.contains(#""version":2"#) && payload.contains(#""type":"management""#))
        let header = String(decoding: HMSJWT.decodeBase64URL(first.token.split(separator: ".")[0])!, as: UTF8.self)
        #expect(header == #"{"alg":"HS256","typ":"JWT"}"#)
        #expect(HMSJWT.verifiedPayload(first.token, secret: Data("secret".utf8)) != nil)
        #expect(HMSJWT.verifiedPayload(first.token, secret: Data("other".utf8)) == nil)
    }

    @Test("the Swift minter produces PyJWT's token byte for byte", arguments: file.tokens)
    func sameBytesAsPyJWT(vector: TokenCase) throws {
        let minted = HMSManagementToken.mint(
            HMSCredentials(accessKey: vector.access_key, secret: vector.secret), now: Date(timeIntervalSince1970: vector.now),
            jti: vector.jti, lifetime: vector.lifetime)
        #expect(try Self.claims(of: minted.token) == vector.claims)
        #expect(minted.token == vector.token)
        #expect(HMSJWT.verifiedPayload(vector.token, secret: Data(vector.secret.utf8)) != nil)
    }

    @Test("the Swift signer matches PyJWT's signature over the same header and payload", arguments: file.signatures)
    func signatures(vector: SignatureCase) throws {
        let secret = Data(vector.secret.utf8)
        #expect(HMSJWT.signature(signingInput: vector.header + "." + vector.payload, secret: secret) == vector.signature)
        let header = try #require(HMSJWT.decodeBase64URL(Substring(vector.header)))
        let payload = try #require(HMSJWT.decodeBase64URL(Substring(vector.payload)))
        #expect(HMSJWT.sign(header: header, payload: payload, secret: secret) == vector.token)
        #expect(HMSJWT.verifiedPayload(vector.token, secret: secret) == payload)
    }

    @Test("tokens PyJWT made wrongly do not verify", arguments: file.rejected)
    func rejected(vector: Rejected) {
        #expect(HMSJWT.verifiedPayload(vector.token, secret: Data(Self.secret.utf8)) == nil)
    }

    /// The generator's Python, when there is one: `TAPEDECK_PYTHON`, or the repository's `.venv`.
    static let python: String? = {
        if let path = ProcessInfo.processInfo.environment["TAPEDECK_PYTHON"], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        let path = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("PyJWT verifies a token Swift minted just now", .enabled(if: python != nil, "needs Python with PyJWT"))
    func pyJWTDecodesSwiftToken() async throws {
        let credentials = HMSCredentials(accessKey: "live-access-key", secret: Self.secret)
        let minted = HMSManagementToken.mint(credentials, now: Date())
        let result = try await ProcessRunner.run(
            Self.python!, [
                Self.repositoryRoot.appendingPathComponent("tools/vectors/hms_vectors.py").path, "--decode",
                credentials.secret, credentials.accessKey, minted.token,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let claims = try JSONDecoder().decode(Claims.self, from: Data(result.stdout.utf8))
        #expect(claims == (try Self.claims(of: minted.token)))
        #expect(claims.jti == minted.jti)
    }
}

@Suite("100ms token source")
struct TokenSourceTests {
    final class ManualClock: Sendable {
        let now: Mutex<Date>
        init(_ start: Date) { now = Mutex(start) }
        func advance(_ seconds: TimeInterval) { now.withLock { $0 += seconds } }
        func read() -> Date { now.withLock { $0 } }
    }

    @Test("caches the token and re-mints 30 s before exp")
    func refresh() {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = ManualClock(start)
        let source = HMSTokenSource(credentials: HMSCredentials(accessKey: "k", secret: "s"), clock: { clock.read() })
        let first = source.current()
        #expect(source.mintCount == 1)
        // exp = start - 10 + 24 h; the refresh point is 30 s earlier.
        clock.advance(86_400 - 10 - 30 - 1)
        #expect(source.current() == first)
        clock.advance(1)
        let second = source.current()
        #expect(second != first && source.mintCount == 2)
        #expect(second.issuedAt == clock.read().addingTimeInterval(-10))
    }

    @Test("invalidate() forces a new token; a stale token does not drop the current one")
    func invalidate() {
        let source = HMSTokenSource(credentials: HMSCredentials(accessKey: "k", secret: "s"), clock: { Date() })
        let first = source.token()
        source.invalidate(first)
        let second = source.token()
        #expect(second != first && source.mintCount == 2)
        source.invalidate(first)  // a caller still holding the old token
        #expect(source.token() == second && source.mintCount == 2)
        source.invalidate()
        #expect(source.token() != second && source.mintCount == 3)
    }
}
