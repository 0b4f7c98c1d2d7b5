import SQLKit

/// Several instances on one database: which one runs each periodic task (a lease it renews),
/// when the task last ran (so a new holder does not run it again early), and which instances are
/// alive (heartbeats), for `tapedeck status` and `/metrics`.
struct M0022CreateTaskLeases: CatalogMigration {
    var name: String { "0022_create_task_leases" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE task_leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                lease_until BIGINT NOT NULL,
                last_started_at BIGINT,
                last_finished_at BIGINT,
                runs BIGINT NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE instances (
                id TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                pid BIGINT NOT NULL,
                version TEXT NOT NULL,
                role TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                seen_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX instances_seen ON instances (seen_at)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE instances", "DROP TABLE task_leases"] }
}
