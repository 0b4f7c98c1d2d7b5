import Testing
import TapedeckCore

@Suite("Retry backoff")
struct RetryPolicyTests {
    @Test func doublesUpToTheCap() {
        let policy = RetryPolicy(initialDelay: 2, maximumDelay: 60, jitterFraction: 0)
        #expect((1...7).map { policy.delay(afterAttempt: $0, random: 0.5) } == [2, 4, 8, 16, 32, 60, 60])
        #expect(policy.delay(afterAttempt: 10_000, random: 0) == 60)
    }

    @Test func jitterOnlyShortensWithinItsFraction() {
        let policy = RetryPolicy(initialDelay: 10, maximumDelay: 1000, jitterFraction: 0.25)
        #expect(policy.delay(afterAttempt: 1, random: 0) == 10)
        #expect(policy.delay(afterAttempt: 1, random: 1) == 7.5)
        for _ in 0..<100 {
            let delay = policy.delay(afterAttempt: 3)
            #expect(delay >= 30 && delay <= 40)
        }
    }
}
