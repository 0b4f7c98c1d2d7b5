import SQLKit

/// The durable job queue.
struct M0008CreateJobs: CatalogMigration {
    var name: String { "0008_create_jobs" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE jobs (
                id \(unsafeRaw: kind.autoIncrementPrimaryKey),
                kind TEXT NOT NULL,
                payload_json TEXT NOT NULL,
                idempotency_key TEXT UNIQUE,
                run_at BIGINT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL,
                locked_by TEXT,
                locked_until BIGINT,
                last_error TEXT,
                state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'dead')),
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            // Claiming looks for due queued jobs and for running jobs whose lease ran out.
            "CREATE INDEX jobs_queued_due ON jobs (run_at, id) WHERE state = 'queued'",
            "CREATE INDEX jobs_running_lease ON jobs (locked_until) WHERE state = 'running'",
            "CREATE INDEX jobs_state_kind ON jobs (state, kind)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE jobs"] }
}
