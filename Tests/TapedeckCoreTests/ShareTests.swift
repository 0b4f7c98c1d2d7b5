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

    @Test func passcodesAreSaltedAndCompared() {
        let stored = Passcode.hash("1234")
        #expect(Passcode.matches("1234", storedHash: stored))
        #expect(!Passcode.matches("1235", storedHash: stored))
        #expect(!stored.contains("1234"))
        #expect(Passcode.hash("1234") != stored)  // a new salt each time
        #expect(!Passcode.matches("1234", storedHash: "garbage"))
    }

    @Test func fiveWrongTriesInAMinuteBlockUntilTheOldestExpires() {
        var limiter = AttemptLimiter(limit: 5, window: 60)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 0..<5 {
            #expect(limiter.retryAfter("s", now: start.addingTimeInterval(Double(i))) == nil)
            limiter.recordFailure("s", now: start.addingTimeInterval(Double(i)))
        }
        #expect(limiter.retryAfter("s", now: start.addingTimeInterval(10)) == 50)
        #expect(limiter.retryAfter("other", now: start.addingTimeInterval(10)) == nil)
        #expect(limiter.retryAfter("s", now: start.addingTimeInterval(60.5)) == nil)
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
