import Foundation

/// The source of "now" for everything that stores or compares time.
///
/// Injected everywhere a timestamp is written so tests can move time explicitly
/// (lease expiry, retention, token expiry) instead of sleeping.
public protocol Clock: Sendable {
    func now() -> Date
}

/// Wall-clock time.
public struct SystemClock: Clock {
    public init() {}
    public func now() -> Date { Date() }
}

/// Time that only moves forward, whatever is done to the wall clock: for measuring how long ago
/// something happened, never for storing. Its dates count from an arbitrary start.
public struct MonotonicClock: Clock {
    private let start = ContinuousClock.now

    public init() {}

    public func now() -> Date {
        let elapsed = ContinuousClock.now - start
        return Date(timeIntervalSince1970: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// A clock that only moves when told to; for tests and simulations.
public final class ManualClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date = Date(timeIntervalSince1970: 1_767_225_600)) {  // 2026-01-01T00:00:00Z
        self.current = start
    }

    public func now() -> Date {
        lock.withLock { current }
    }

    public func advance(by seconds: TimeInterval) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }

    public func set(_ date: Date) {
        lock.withLock { current = date }
    }
}
