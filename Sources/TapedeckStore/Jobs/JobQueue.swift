import Foundation
import SQLKit
import TapedeckCore

/// The durable job queue.
///
/// A worker claims due jobs with a lease (`locked_by`, `locked_until`); a job whose worker died
/// is queued again when its lease runs out. Completion and failure are fenced by
/// (`locked_by`, `attempts`), so a worker that lost its lease cannot overwrite the state written
/// by the worker that took the job over. PostgreSQL claims with `FOR UPDATE SKIP LOCKED` so many
/// workers never block on each other; SQLite claims inside `BEGIN IMMEDIATE` (one writer).
public struct JobQueue: Sendable {
    let session: CatalogSession

    /// The PostgreSQL channel every enqueue notifies; the payload is ``Notification/payload``.
    public static let notificationChannel = "tapedeck_jobs"

    /// What a notification says about the job queued: its id, kind and due time, so a listener
    /// does not claim for a job its own process already woke its worker for, nor claim now for a
    /// job due later.
    public struct Notification: Sendable, Equatable {
        public var kind: String
        /// `nil` in a payload of only a kind (the release before sent that): due now.
        public var runAt: Date?
        public var jobID: Int64?

        public init(kind: String, runAt: Date?, jobID: Int64?) {
            self.kind = kind
            self.runAt = runAt
            self.jobID = jobID
        }

        /// `kind run_at_ms id`, read from the end, so a kind may have spaces; a payload of any
        /// other shape is read as a kind due now.
        public init(payload: String) {
            let parts = payload.split(separator: " ", omittingEmptySubsequences: false)
            if parts.count >= 3, let ms = Int64(parts[parts.count - 2]), let id = Int64(parts[parts.count - 1]) {
                self.init(
                    kind: parts.dropLast(2).joined(separator: " "), runAt: Date(millisecondsSince1970: ms), jobID: id)
            } else {
                self.init(kind: payload, runAt: nil, jobID: nil)
            }
        }

        public var payload: String {
            guard let runAt, let jobID else { return kind }
            return "\(kind) \(runAt.millisecondsSince1970) \(jobID)"
        }
    }

    public enum EnqueueResult: Sendable, Equatable {
        case enqueued(id: Int64)
        /// A job with the same idempotency key already exists.
        case duplicate(id: Int64)

        public var id: Int64 {
            switch self {
            case .enqueued(let id), .duplicate(let id): id
            }
        }
    }

    @discardableResult
    public func enqueue(_ job: NewJob) async throws -> EnqueueResult {
        let now = session.nowMs
        let runAt = job.runAt?.millisecondsSince1970 ?? now
        let insert: SQLQueryString = """
            INSERT INTO jobs (kind, payload_json, idempotency_key, run_at, attempts, max_attempts, state,
                created_at, updated_at)
            VALUES (\(bind: job.kind), \(bind: job.payloadJSON), \(bind: job.idempotencyKey), \(bind: runAt), 0,
                \(bind: max(1, job.maxAttempts)), 'queued', \(bind: now), \(bind: now))
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING id
            """
        // On PostgreSQL the same statement notifies the listening workers of every process; the
        // notification is delivered when the enclosing transaction commits (never for a rolled
        // back job), and only when a row was inserted (a duplicate wakes nobody). Its payload is
        // `Notification.payload`: the kind, when the job is due, and its id.
        let statement: SQLQueryString =
            session.kind == .postgres
            ? "WITH inserted AS (" + insert + ", kind, run_at) SELECT id, pg_notify('\(unsafeRaw: Self.notificationChannel)', kind || ' ' || run_at::text || ' ' || id::text)::text AS notified FROM inserted"
            : insert
        let row = try await session.sql.raw(statement).first()
        if let row {
            let id = try row.int64("id")
            session.queued?.note(id: id, runAtMs: runAt)
            return .enqueued(id: id)
        }
        guard let key = job.idempotencyKey,
            let existing = try await session.sql.raw(
                "SELECT id FROM jobs WHERE idempotency_key = \(bind: key)"
            ).first()
        else { throw CatalogDataError(description: "job insert returned no id") }
        return .duplicate(id: try existing.int64("id"))
    }

    /// Claims up to `limit` due jobs for `workerID` until `leaseSeconds` from now, first putting
    /// back the jobs of workers whose lease ran out (unless `recoverExpired` is false: a worker
    /// woken many times a second does that once a second).
    /// On SQLite run it inside a transaction (``Catalog/transaction(_:)``); on PostgreSQL the
    /// claim is one statement, atomic on the pool too.
    public func claim(workerID: String, limit: Int, leaseSeconds: TimeInterval, recoverExpired: Bool = true) async throws
        -> [Job]
    {
        guard limit > 0 else { return [] }
        if recoverExpired { try await recoverExpiredLeases() }
        let now = session.nowMs
        let until = now + Int64(leaseSeconds * 1000)
        let skipLocked: SQLQueryString = session.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try await session.sql.raw(
            """
            UPDATE jobs SET state = 'running', locked_by = \(bind: workerID), locked_until = \(bind: until),
                attempts = attempts + 1, updated_at = \(bind: now)
            WHERE id IN (
                SELECT id FROM jobs WHERE state = 'queued' AND run_at <= \(bind: now)
                ORDER BY run_at, id LIMIT \(literal: limit)\(skipLocked)
            )
            RETURNING *
            """
        ).all()
        return try rows.map(Self.decode).sorted { ($0.runAt, $0.id) < ($1.runAt, $1.id) }
    }

    /// Jobs whose worker stopped renewing its lease go back to the queue, or die if that was their last attempt.
    func recoverExpiredLeases() async throws {
        let now = session.nowMs
        try await session.sql.raw(
            """
            UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, updated_at = \(bind: now),
                last_error = 'the worker stopped before finishing the last attempt (lease expired)'
            WHERE state = 'running' AND locked_until < \(bind: now) AND attempts >= max_attempts
            """
        ).run()
        try await session.sql.raw(
            """
            UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, run_at = \(bind: now),
                updated_at = \(bind: now),
                last_error = COALESCE(last_error, 'the worker stopped before finishing (lease expired)')
            WHERE state = 'running' AND locked_until < \(bind: now) AND attempts < max_attempts
            """
        ).run()
    }

    /// Keeps a long job's claim alive; `false` if the claim was lost.
    public func extendLease(_ job: Job, leaseSeconds: TimeInterval) async throws -> Bool {
        let now = session.nowMs
        return try await fenced(
            job, "locked_until = \(bind: now + Int64(leaseSeconds * 1000)), updated_at = \(bind: now)")
    }

    /// Marks a claimed job done; `false` if this worker no longer holds it.
    public func complete(_ job: Job) async throws -> Bool {
        try await fenced(
            job,
            "state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = \(bind: session.nowMs)"
        )
    }

    /// Records a failed attempt: queued again after the policy's delay, or dead when out of attempts.
    /// Returns the state the job ended in, or `nil` if this worker no longer holds it.
    public func fail(_ job: Job, error: String, retry: RetryPolicy, permanent: Bool = false) async throws -> JobState? {
        let now = session.nowMs
        let message = String(error.prefix(4000))
        if permanent || job.attempts >= job.maxAttempts {
            let ok = try await fenced(
                job,
                "state = 'dead', locked_by = NULL, locked_until = NULL, last_error = \(bind: message), updated_at = \(bind: now)"
            )
            return ok ? .dead : nil
        }
        let runAt = now + Int64(retry.delay(afterAttempt: job.attempts) * 1000)
        let ok = try await fenced(
            job,
            """
            state = 'queued', locked_by = NULL, locked_until = NULL, last_error = \(bind: message),
            run_at = \(bind: runAt), updated_at = \(bind: now)
            """)
        return ok ? .queued : nil
    }

    /// Gives a claimed job back untouched (shutting down before it started): the attempt does not count.
    public func release(_ job: Job) async throws -> Bool {
        try await fenced(
            job,
            "state = 'queued', locked_by = NULL, locked_until = NULL, attempts = attempts - 1, updated_at = \(bind: session.nowMs)"
        )
    }

    /// Puts the job back to wait without using up an attempt (a dependency is missing; try later).
    public func postpone(_ job: Job, until: Date, reason: String) async throws -> Bool {
        try await fenced(
            job,
            """
            state = 'queued', locked_by = NULL, locked_until = NULL, attempts = attempts - 1,
            last_error = \(bind: reason), run_at = \(bind: until.millisecondsSince1970), updated_at = \(bind: session.nowMs)
            """)
    }

    private func fenced(_ job: Job, _ assignments: SQLQueryString) async throws -> Bool {
        let rows = try await session.sql.raw(
            "UPDATE jobs SET " + assignments
                + """
                 WHERE id = \(bind: job.id) AND state = 'running' AND locked_by = \(bind: job.lockedBy)
                AND attempts = \(bind: job.attempts) RETURNING id
                """
        ).all()
        return !rows.isEmpty
    }

    public func find(id: Int64) async throws -> Job? {
        try await session.sql.raw("SELECT * FROM jobs WHERE id = \(bind: id)").first().map(Self.decode)
    }

    public func find(idempotencyKey: String) async throws -> Job? {
        try await session.sql.raw("SELECT * FROM jobs WHERE idempotency_key = \(bind: idempotencyKey)").first()
            .map(Self.decode)
    }

    /// Counts of unfinished and dead jobs by kind and state (done jobs are not counted).
    public func counts() async throws -> [JobCount] {
        let rows = try await session.sql.raw(
            """
            SELECT kind, state, COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running', 'dead')
            GROUP BY kind, state ORDER BY kind, state
            """
        ).all()
        return try rows.map { row in
            JobCount(
                kind: try row.string("kind"), state: JobState(rawValue: try row.string("state")) ?? .dead,
                count: try row.int("n"))
        }
    }

    /// The earliest `run_at` of a queued job, so an idle worker can sleep until then.
    public func nextRunAt() async throws -> Date? {
        let row = try await session.sql.raw("SELECT MIN(run_at) AS next FROM jobs WHERE state = 'queued'").first()
        return try row?.optionalDate("next")
    }

    /// Deletes finished jobs last touched before `cutoff`; returns how many.
    @discardableResult
    public func pruneDone(before cutoff: Date) async throws -> Int {
        try await session.sql.raw(
            "DELETE FROM jobs WHERE state = 'done' AND updated_at < \(bind: cutoff.millisecondsSince1970) RETURNING id"
        ).all().count
    }

    static func decode(_ row: any SQLRow) throws -> Job {
        let rawState = try row.string("state")
        guard let state = JobState(rawValue: rawState) else {
            throw CatalogDataError(description: "unknown job state \(rawState)")
        }
        return Job(
            id: try row.int64("id"), kind: try row.string("kind"), payloadJSON: try row.string("payload_json"),
            idempotencyKey: try row.optionalString("idempotency_key"), runAt: try row.date("run_at"),
            attempts: try row.int("attempts"), maxAttempts: try row.int("max_attempts"),
            lockedBy: try row.optionalString("locked_by"), lockedUntil: try row.optionalDate("locked_until"),
            lastError: try row.optionalString("last_error"), state: state, createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}
