import Foundation
import NIOPosix
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// Checks a share's passcode under a per-share limit kept in the catalog.
///
/// A try is reserved on the share's row *before* the request body is read, by one atomic
/// statement; so however many connections guess at once, in this process or in other `serve`
/// processes on the same database, at most `attempts` passcodes per window are evaluated.
/// A try that turns out right (or sends no passcode) is given back, so a viewer who knows the
/// passcode can come back as often as they like.
struct PasscodeGate: Sendable {
    let catalog: Catalog
    let limits: PasscodeLimits

    enum Outcome: Sendable, Equatable {
        case accepted
        case missing
        case wrong
        /// Too many tries in this window: wait this many seconds.
        case refused(retryAfter: Int)
    }

    /// Reserves a try, then reads the passcode with `read` and checks it against `share`'s hash.
    func check(_ share: Share, read: () async throws -> String?) async throws -> Outcome {
        guard let stored = share.passcodeHash else { return .accepted }
        let windowMs = Int64(limits.window * 1000)
        guard let attempt = try await catalog.pool.shares.reservePasscodeAttempt(id: share.id, windowMs: windowMs) else {
            return .wrong
        }
        guard attempt.number <= limits.attempts else {
            let left = Double(attempt.windowStartedAt + windowMs - catalog.clock.now().millisecondsSince1970) / 1000
            return .refused(retryAfter: max(1, Int(left.rounded(.up))))
        }
        let passcode: String?
        do {
            passcode = try await read()
        } catch {
            try? await catalog.pool.shares.refundPasscodeAttempt(id: share.id, attempt)
            throw error
        }
        guard let passcode else {
            try await catalog.pool.shares.refundPasscodeAttempt(id: share.id, attempt)
            return .missing
        }
        // The key derivation takes a noticeable time on purpose: keep it off the request threads.
        let matches = try await NIOThreadPool.singleton.runIfActive { Passcode.matches(passcode, storedHash: stored) }
        guard matches else { return .wrong }
        try await catalog.pool.shares.refundPasscodeAttempt(id: share.id, attempt)
        if Passcode.needsRehash(stored) {
            // An older (salted SHA-256) hash is replaced by a PBKDF2 one now that the passcode is known.
            let upgraded = try await NIOThreadPool.singleton.runIfActive { Passcode.hash(passcode) }
            try await catalog.pool.shares.replacePasscodeHash(id: share.id, from: stored, to: upgraded)
        }
        return .accepted
    }
}
