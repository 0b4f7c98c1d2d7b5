import Foundation
import Synchronization
import TapedeckCore

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
    /// Wakes the worker for the earliest job a transaction queued
    /// (``Catalog/transactionQueuingJobs(_:)``); does nothing when it queued none.
    public func signal(forJobQueuedAt runAt: Date?, clock: any TapedeckCore.Clock) {
        guard let runAt else { return }
        signal(forJobDueIn: .milliseconds(Int64(runAt.timeIntervalSince(clock.now()) * 1000)))
    }
}
