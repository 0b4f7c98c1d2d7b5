import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Periodic task leases")
struct TaskLeaseRepositoryTests {
    @Test("one holder at a time; a lapsed lease is taken over; only the holder records a run", arguments: TestDatabase.all)
    func exclusive(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let leases = catalog.pool.taskLeases
            #expect(try await leases.acquire("reconciler", holder: "a", ttl: 20)?.holder == "a")
            #expect(try await leases.acquire("reconciler", holder: "b", ttl: 20) == nil)
            #expect(try await leases.started("reconciler", holder: "b") == false)
            #expect(try await leases.started("reconciler", holder: "a"))
            clock.advance(by: 10)
            #expect(try await leases.acquire("reconciler", holder: "a", ttl: 20)?.holder == "a", "renewed")
            clock.advance(by: 19)
            #expect(try await leases.acquire("reconciler", holder: "b", ttl: 20) == nil, "the renewal still runs")
            clock.advance(by: 2)
            let taken = try #require(try await leases.acquire("reconciler", holder: "b", ttl: 20))
            #expect(taken.holder == "b" && taken.runs == 1 && taken.lastStartedAt != nil, "when it last ran goes with the task")
            #expect(try await leases.started("reconciler", holder: "a") == false, "the old holder's run is refused")
            try await leases.release("reconciler", holder: "b")
            #expect(try await leases.acquire("reconciler", holder: "c", ttl: 20)?.holder == "c", "released: taken at once")
        }
    }

    @Test("instances asking at once: exactly one gets the lease", arguments: TestDatabase.all)
    func concurrent(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let winners = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<16 {
                    group.addTask { try await catalog.pool.taskLeases.acquire("retention", holder: "i\(index)", ttl: 30)?.holder }
                }
                var got: [String] = []
                for try await holder in group { if let holder { got.append(holder) } }
                return got
            }
            #expect(winners.count == 1)
            #expect(try await catalog.pool.taskLeases.list().map(\.holder) == winners)
        }
    }

    @Test("heartbeats: seen instances, pruned ones", arguments: TestDatabase.all)
    func heartbeats(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let instance = InstanceRecord(
                id: "host:1:x", host: "host", pid: 1, version: "0.1.0", role: "serve", startedAt: clock.now(), seenAt: clock.now())
            try await catalog.pool.instances.heartbeat(instance)
            try await catalog.pool.instances.heartbeat(instance)
            #expect(try await catalog.pool.instances.seen(since: clock.now().addingTimeInterval(-60)).map(\.id) == ["host:1:x"])
            clock.advance(by: 120)
            #expect(try await catalog.pool.instances.seen(since: clock.now().addingTimeInterval(-60)).isEmpty)
            try await catalog.pool.instances.prune(before: clock.now())
            #expect(try await catalog.pool.instances.seen(since: .distantPast).isEmpty)
        }
    }
}
