import Foundation
import Logging
import TapedeckStore

/// Runs one kind of job. Handlers must be idempotent: after a crash the same job runs again.
public protocol JobHandler: Sendable {
    var kind: String { get }
    func run(_ job: Job, logger: Logger) async throws
}

/// How a handler asks for something other than "retry with backoff".
public enum JobOutcome: Error, Sendable {
    /// Retrying cannot help (bad payload, the thing it works on is gone): mark dead now.
    case permanentFailure(String)
    /// A dependency is missing (ffmpeg not installed, storage down): wait without using an attempt.
    case postpone(reason: String, seconds: TimeInterval)
}

/// The handlers this process can run, by kind.
public struct JobHandlers: Sendable {
    private var byKind: [String: any JobHandler] = [:]

    public init(_ handlers: [any JobHandler] = []) {
        for handler in handlers { register(handler) }
    }

    public mutating func register(_ handler: any JobHandler) {
        byKind[handler.kind] = handler
    }

    public func handler(for kind: String) -> (any JobHandler)? {
        byKind[kind]
    }

    public var kinds: [String] { byKind.keys.sorted() }
}

/// Enqueues jobs and wakes this process's worker at once.
public struct JobScheduler: Sendable {
    public let catalog: Catalog
    public let wakeup: WakeupSignal

    public init(catalog: Catalog, wakeup: WakeupSignal) {
        self.catalog = catalog
        self.wakeup = wakeup
    }

    @discardableResult
    public func enqueue(_ job: NewJob) async throws -> JobQueue.EnqueueResult {
        let result = try await catalog.pool.jobs.enqueue(job)
        wakeup.signal()
        return result
    }
}
