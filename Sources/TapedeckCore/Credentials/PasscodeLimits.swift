import Foundation

/// How many passcode tries a share allows, and per how long.
public struct PasscodeLimits: Sendable, Equatable {
    /// Tries (right or wrong) evaluated per window; the rest are refused with 429.
    public var attempts: Int
    public var window: TimeInterval

    public init(attempts: Int = 5, window: TimeInterval = 60) {
        self.attempts = attempts
        self.window = window
    }
}
