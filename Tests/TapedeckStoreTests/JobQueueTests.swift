import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Job queue")
struct JobQueueTests {
    let noJitter = RetryPolicy(initialDelay: 10, maximumDelay: 100, jitterFraction: 0)

    func claim(_ catalog: Catalog, _ worker: String = "w1", limit: Int = 10, lease: TimeInterval = 30) async throws
        -> [Job]
    {
        try await catalog.transaction { tx in try await tx.jobs.claim(workerID: worker, limit: limit, leaseSeconds: lease) }
    }

    @Test("enqueue is idempotent by key", arguments: TestDatabase.all)
    func idempotency(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let jobs = catalog.pool.jobs
            let first = try await jobs.enqueue(NewJob(kind: "k", payloadJSON: #"{"n":1}"#, idempotencyKey: "once"))
            let second = try await jobs.enqueue(NewJob(kind: "k", payloadJSON: #"{"n":2}"#, idempotencyKey: "once"))
            guard case .enqueued(let id) = first, case .duplicate(let again) = second else {
                Issue.record("expected enqueued then duplicate, got \(first), \(second)")
                return
            }
            #expect(id == again)
            #expect(try await jobs.find(id: id)?.payloadJSON == #"{"n":1}"#)
            // Without a key every enqueue is a new job.
            let a = try await jobs.enqueue(NewJob(kind: "k")).id
            let b = try await jobs.enqueue(NewJob(kind: "k")).id
            #expect(a != b)
        }
    }

    @Test("claim respects run_at, order and limit; complete is fenced", arguments: TestDatabase.all)
    func claimAndComplete(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let jobs = catalog.pool.jobs
            let later = try await jobs.enqueue(NewJob(kind: "k", runAt: clock.now().addingTimeInterval(60))).id
            let first = try await jobs.enqueue(NewJob(kind: "k")).id
            let second = try await jobs.enqueue(NewJob(kind: "k")).id

            let claimed = try await claim(catalog, limit: 1)
            #expect(claimed.map(\.id) == [first])
            #expect(claimed[0].state == .running && claimed[0].attempts == 1 && claimed[0].lockedBy == "w1")
            let secondClaim = try await claim(catalog, "w2")
            #expect(secondClaim.map(\.id) == [second], "a claimed job is not claimed again")
            #expect(try await claim(catalog).isEmpty, "the future job is not due")

            // Another worker cannot complete w1's job.
            var forged = claimed[0]
            forged.lockedBy = "w2"
            #expect(try await jobs.complete(forged) == false)
            #expect(try await jobs.complete(claimed[0]))
            #expect(try await jobs.find(id: first)?.state == .done)
            #expect(try await jobs.complete(claimed[0]) == false, "completing twice is refused")
            #expect(try await jobs.complete(secondClaim[0]))

            clock.advance(by: 61)
            #expect(try await claim(catalog).map(\.id) == [later])
        }
    }

    @Test("failures back off, then the job dies with its last error", arguments: TestDatabase.all)
    func backoffAndDeath(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let jobs = catalog.pool.jobs
            let id = try await jobs.enqueue(NewJob(kind: "k", maxAttempts: 3)).id
            for attempt in 1...3 {
                let job = try #require(try await claim(catalog).first)
                #expect(job.id == id && job.attempts == attempt)
                let state = try await jobs.fail(job, error: "boom \(attempt)", retry: noJitter)
                if attempt < 3 {
                    #expect(state == .queued)
                    #expect(try await claim(catalog).isEmpty, "not before its backoff")
                    let stored = try #require(try await jobs.find(id: id))
                    #expect(stored.runAt == clock.now().addingTimeInterval(10 * pow(2, Double(attempt - 1))))
                    clock.set(stored.runAt)
                } else {
                    #expect(state == .dead)
                }
            }
            let dead = try #require(try await jobs.find(id: id))
            #expect(dead.state == .dead && dead.lastError == "boom 3" && dead.lockedBy == nil)
            #expect(try await jobs.counts() == [JobCount(kind: "k", state: .dead, count: 1)])
        }
    }

    @Test("a permanent failure dies at once; postpone and release keep the attempt", arguments: TestDatabase.all)
    func permanentPostponeRelease(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let jobs = catalog.pool.jobs
            let a = try await jobs.enqueue(NewJob(kind: "a")).id
            let b = try await jobs.enqueue(NewJob(kind: "b")).id
            let c = try await jobs.enqueue(NewJob(kind: "c")).id
            let claimed = try await claim(catalog)
            #expect(try await jobs.fail(claimed[0], error: "bad payload", retry: noJitter, permanent: true) == .dead)
            #expect(try await jobs.postpone(claimed[1], until: clock.now().addingTimeInterval(300), reason: "ffmpeg missing"))
            #expect(try await jobs.release(claimed[2]))
            let postponed = try #require(try await jobs.find(id: b))
            #expect(postponed.attempts == 0 && postponed.lastError == "ffmpeg missing" && postponed.state == .queued)
            #expect(try await jobs.find(id: c)?.attempts == 0)
            #expect(try await jobs.find(id: a)?.state == .dead)
            #expect(try await claim(catalog).map(\.id) == [c])
        }
    }

    @Test("an expired lease is taken over; the old holder is fenced out", arguments: TestDatabase.all)
    func leaseExpiry(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let jobs = catalog.pool.jobs
            let id = try await jobs.enqueue(NewJob(kind: "k", maxAttempts: 2)).id
            let held = try #require(try await claim(catalog, "dead-worker", lease: 30).first)
            clock.advance(by: 20)
            #expect(try await claim(catalog, "w2").isEmpty, "lease still valid")
            #expect(try await jobs.extendLease(held, leaseSeconds: 30))
            clock.advance(by: 29)
            #expect(try await claim(catalog, "w2").isEmpty, "lease was extended")
            clock.advance(by: 2)
            let taken = try #require(try await claim(catalog, "w2").first)
            #expect(taken.id == id && taken.attempts == 2 && taken.lockedBy == "w2")
            #expect(taken.lastError?.contains("lease expired") == true)
            #expect(try await jobs.complete(held) == false, "the old holder cannot complete")
            #expect(try await jobs.extendLease(held, leaseSeconds: 30) == false)

            // If the last attempt's worker dies too, the job is dead rather than retried forever.
            clock.advance(by: 31)
            #expect(try await claim(catalog, "w3").isEmpty)
            #expect(try await jobs.find(id: id)?.state == .dead)
        }
    }

    @Test("counts and pruning", arguments: TestDatabase.all)
    func countsAndPruning(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let jobs = catalog.pool.jobs
            for _ in 0..<3 { try await jobs.enqueue(NewJob(kind: "x")) }
            try await jobs.enqueue(NewJob(kind: "y"))
            let claimed = try await claim(catalog, limit: 2)
            _ = try await jobs.complete(claimed[0])
            #expect(
                try await jobs.counts() == [
                    JobCount(kind: "x", state: .queued, count: 1), JobCount(kind: "x", state: .running, count: 1),
                    JobCount(kind: "y", state: .queued, count: 1),
                ])
            #expect(try await jobs.nextRunAt() == clock.now())
            #expect(try await jobs.pruneDone(before: clock.now()) == 0)
            clock.advance(by: 1)
            #expect(try await jobs.pruneDone(before: clock.now()) == 1)
            #expect(try await jobs.find(id: claimed[0].id) == nil)
        }
    }
}
