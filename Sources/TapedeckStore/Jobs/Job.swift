import Foundation

/// Where a job is in the queue.
public enum JobState: String, Sendable, Codable, CaseIterable {
    /// Waiting for `run_at`.
    case queued
    /// Claimed by a worker until `locked_until`.
    case running
    case done
    /// Out of attempts; `last_error` says why.
    case dead
}

/// A unit of background work, stored durably.
public struct Job: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var payloadJSON: String
    public var idempotencyKey: String?
    public var runAt: Date
    /// Claims so far, including the current one.
    public var attempts: Int
    public var maxAttempts: Int
    public var lockedBy: String?
    public var lockedUntil: Date?
    public var lastError: String?
    public var state: JobState
    public var createdAt: Date
    public var updatedAt: Date

    /// Decodes the payload as `T`.
    public func payload<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(payloadJSON.utf8))
    }
}

/// A job to enqueue.
public struct NewJob: Sendable, Equatable {
    public var kind: String
    public var payloadJSON: String
    /// Enqueuing again with the same key does nothing (the first job stands).
    public var idempotencyKey: String?
    /// `nil`: as soon as possible.
    public var runAt: Date?
    public var maxAttempts: Int

    public init(
        kind: String, payloadJSON: String = "{}", idempotencyKey: String? = nil, runAt: Date? = nil,
        maxAttempts: Int = 10
    ) {
        self.kind = kind
        self.payloadJSON = payloadJSON
        self.idempotencyKey = idempotencyKey
        self.runAt = runAt
        self.maxAttempts = maxAttempts
    }

    public init<P: Encodable>(
        kind: String, payload: P, idempotencyKey: String? = nil, runAt: Date? = nil, maxAttempts: Int = 10
    ) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        self.init(
            kind: kind, payloadJSON: String(decoding: try encoder.encode(payload), as: UTF8.self),
            idempotencyKey: idempotencyKey, runAt: runAt, maxAttempts: maxAttempts)
    }
}

/// Counts of jobs by kind and state, for metrics and `/readyz`.
public struct JobCount: Sendable, Equatable {
    public var kind: String
    public var state: JobState
    public var count: Int

    public init(kind: String, state: JobState, count: Int) {
        self.kind = kind
        self.state = state
        self.count = count
    }
}
