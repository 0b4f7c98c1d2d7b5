import Foundation
import SQLKit
import TapedeckCore

/// Who runs a periodic task across the instances sharing the catalog, and when it last ran.
public struct TaskLease: Sendable, Equatable {
    public var name: String
    public var holder: String
    public var leaseUntil: Date
    public var lastStartedAt: Date?
    public var lastFinishedAt: Date?
    public var runs: Int64
}

public struct TaskLeaseRepository: Sendable {
    let session: CatalogSession

    /// Takes or renews the lease of `name` for `holder` until `now + ttl`; the lease when
    /// `holder` has it afterwards, `nil` while another instance's lease is still running. One
    /// statement, so two instances asking at once cannot both win.
    public func acquire(_ name: String, holder: String, ttl: TimeInterval) async throws -> TaskLease? {
        let now = session.nowMs
        let until = now + Int64(ttl * 1000)
        let row = try await session.sql.raw(
            """
            INSERT INTO task_leases (name, holder, lease_until) VALUES (\(bind: name), \(bind: holder), \(bind: until))
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
            WHERE task_leases.holder = excluded.holder OR task_leases.lease_until < \(bind: now)
            RETURNING *
            """
        ).first()
        return try row.map(Self.decode)
    }

    /// Records that `holder` starts a run; `false` when it no longer holds the lease.
    public func started(_ name: String, holder: String) async throws -> Bool {
        !(try await session.sql.raw(
            """
            UPDATE task_leases SET last_started_at = \(bind: session.nowMs), runs = runs + 1
            WHERE name = \(bind: name) AND holder = \(bind: holder) RETURNING name
            """
        ).all()).isEmpty
    }

    public func finished(_ name: String, holder: String) async throws {
        try await session.sql.raw(
            "UPDATE task_leases SET last_finished_at = \(bind: session.nowMs) WHERE name = \(bind: name) AND holder = \(bind: holder)"
        ).run()
    }

    /// Gives the lease up (a graceful stop): another instance may take it at once.
    public func release(_ name: String, holder: String) async throws {
        try await session.sql.raw(
            "UPDATE task_leases SET lease_until = 0 WHERE name = \(bind: name) AND holder = \(bind: holder)"
        ).run()
    }

    public func list() async throws -> [TaskLease] {
        try await session.sql.raw("SELECT * FROM task_leases ORDER BY name").all().map(Self.decode)
    }

    static func decode(_ row: any SQLRow) throws -> TaskLease {
        TaskLease(
            name: try row.string("name"), holder: try row.string("holder"), leaseUntil: try row.date("lease_until"),
            lastStartedAt: try row.optionalDate("last_started_at"), lastFinishedAt: try row.optionalDate("last_finished_at"),
            runs: try row.int64("runs"))
    }
}

/// A running `serve` or `worker` process, as its heartbeats show it.
public struct InstanceRecord: Sendable, Equatable {
    public var id: String
    public var host: String
    public var pid: Int64
    public var version: String
    public var role: String
    public var startedAt: Date
    public var seenAt: Date

    public init(id: String, host: String, pid: Int64, version: String, role: String, startedAt: Date, seenAt: Date) {
        self.id = id
        self.host = host
        self.pid = pid
        self.version = version
        self.role = role
        self.startedAt = startedAt
        self.seenAt = seenAt
    }
}

public struct InstanceRepository: Sendable {
    let session: CatalogSession

    /// The instance is alive now.
    public func heartbeat(_ instance: InstanceRecord) async throws {
        try await session.sql.raw(
            """
            INSERT INTO instances (id, host, pid, version, role, started_at, seen_at)
            VALUES (\(bind: instance.id), \(bind: instance.host), \(bind: instance.pid), \(bind: instance.version),
                \(bind: instance.role), \(bind: instance.startedAt.millisecondsSince1970), \(bind: session.nowMs))
            ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at
            """
        ).run()
    }

    /// Instances seen since `since`, most recently started first.
    public func seen(since: Date) async throws -> [InstanceRecord] {
        try await session.sql.raw(
            "SELECT * FROM instances WHERE seen_at >= \(bind: since.millisecondsSince1970) ORDER BY started_at DESC, id"
        ).all().map { row in
            InstanceRecord(
                id: try row.string("id"), host: try row.string("host"), pid: try row.int64("pid"), version: try row.string("version"),
                role: try row.string("role"), startedAt: try row.date("started_at"), seenAt: try row.date("seen_at"))
        }
    }

    /// Forgets instances not seen since `before` (their rows only matter while they run).
    public func prune(before: Date) async throws {
        try await session.sql.raw("DELETE FROM instances WHERE seen_at < \(bind: before.millisecondsSince1970)").run()
    }
}
