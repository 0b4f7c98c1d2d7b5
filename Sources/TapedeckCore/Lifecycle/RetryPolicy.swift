import Foundation

/// Exponential backoff with a cap and jitter.
///
/// Jitter spreads retries of many jobs that failed together (a storage outage) so they do not
/// all come back in the same second.
public struct RetryPolicy: Sendable, Equatable {
    public var initialDelay: TimeInterval
    public var maximumDelay: TimeInterval
    /// Up to this fraction of the delay is randomly taken off.
    public var jitterFraction: Double

    public init(initialDelay: TimeInterval = 2, maximumDelay: TimeInterval = 3600, jitterFraction: Double = 0.25) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.jitterFraction = jitterFraction
    }

    /// The wait after the `attempt`-th failure (1-based). `random` is in `0..<1`.
    public func delay(afterAttempt attempt: Int, random: Double) -> TimeInterval {
        let exponent = Double(max(0, attempt - 1))
        let raw = min(maximumDelay, initialDelay * pow(2, min(exponent, 62)))
        return raw * (1 - jitterFraction * min(max(random, 0), 1))
    }

    public func delay(afterAttempt attempt: Int) -> TimeInterval {
        delay(afterAttempt: attempt, random: Double.random(in: 0..<1))
    }
}
