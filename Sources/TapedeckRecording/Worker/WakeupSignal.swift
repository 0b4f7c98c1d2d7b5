import Foundation
import Synchronization
import TapedeckCore
import TapedeckStore

/// Wakes an idle worker early: a job queued in this process, or announced by another process's
/// notification, starts without waiting for the next poll. Signals while nobody waits are
/// remembered (one at most), so a burst of them while the worker claims costs one claim more.
public final class WakeupSignal: Sendable {
    private struct State {
        package var pending = false
        package var waiter: (id: UInt64, until: ContinuousClock.Instant, continuation: CheckedContinuation<Void, Never>)?
        package var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The ids of jobs this process queued and woke its worker for, oldest first.
    fileprivate let woken = Mutex<(ids: Set<Int64>, order: [Int64])>(([], []))

    public init() {}

    public func signal() {
        signal(onlyIfWaitingPast: nil)
    }

    /// Wakes the worker for a job queued to run `delay` from now (zero or less: due now). A job
    /// due later wakes it only if it sleeps past that moment: it then claims nothing and sleeps
    /// until the job is due. While the worker is not waiting the signal is kept, as it may have
    /// read the next due time before the job was queued.
    public func signal(forJobDueIn delay: Duration) {
        signal(onlyIfWaitingPast: delay > .zero ? ContinuousClock.now + delay : nil)
    }

    private func signal(onlyIfWaitingPast due: ContinuousClock.Instant?) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                // It wakes by then anyway and reads the queue's next due time.
                if let due, waiter.until <= due { return nil }
                state.waiter = nil
                return waiter.continuation
            }
            state.pending = true
            return nil
        }
        continuation?.resume()
    }

    /// Whether a wait is under way (for tests: a signal before it starts is kept instead).
    package var isWaiting: Bool { state.withLock { $0.waiter != nil } }

    /// Returns on a signal, after `timeout`, or when the task is cancelled.
    public func wait(timeout: Duration) async {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        let until = ContinuousClock.now + timeout
        let timer = Task {
            try? await Task.sleep(until: until)
            self.resume(id)
        }
        defer { timer.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    // Past `until` the timer may already have fired, finding no waiter to resume.
                    if state.pending || Task.isCancelled || ContinuousClock.now >= until {
                        state.pending = false
                        return true
                    }
                    state.waiter = (id, until, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.resume(id)
        }
    }

    private func resume(_ id: UInt64) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        continuation?.resume()
    }
}

extension WakeupSignal {
    /// Notes the jobs a transaction is about to commit, which this process's worker will be woken
    /// for (``signal(for:clock:)``), so that this process's listener lets their notifications
    /// pass (``wasWoken(forJob:)``). Noted before the commit, as the notification may arrive
    /// before the commit's answer; kept a while (a rolled back job is never notified).
    public func willWake(for queued: QueuedJobs) {
        woken.withLock { woken in
            for id in queued.ids where woken.ids.insert(id).inserted {
                woken.order.append(id)
            }
            while woken.order.count > Self.wokenKept {
                woken.ids.remove(woken.order.removeFirst())
            }
        }
    }

    /// Wakes the worker for the jobs a transaction queued; does nothing when it queued none.
    public func signal(for queued: QueuedJobs?, clock: any TapedeckCore.Clock) {
        guard let queued else { return }
        signal(forJobDueIn: .milliseconds(Int64(queued.earliestRunAt.timeIntervalSince(clock.now()) * 1000)))
    }

    /// Whether this process woke (or is about to wake) its worker for the job, forgetting it:
    /// then its notification needs no claim of its own.
    public func wasWoken(forJob id: Int64) -> Bool {
        woken.withLock { $0.ids.remove(id) != nil }
    }

    static let wokenKept = 1024
}

extension Catalog {
    /// Runs `body` in one transaction and wakes this process's worker after the commit only if
    /// it queued a job (for a job due later, only if the worker would sleep past it).
    package func transactionWaking<T: Sendable>(
        _ wakeup: WakeupSignal, _ body: @escaping @Sendable (CatalogSession) async throws -> T
    ) async throws -> T {
        let (value, queued) = try await transactionQueuingJobs(beforeCommit: { wakeup.willWake(for: $0) }, body)
        wakeup.signal(for: queued, clock: clock)
        return value
    }
}
