import SQLKit

/// Recordings and the indexes behind the API's listings.
struct M0004CreateRecordings: CatalogMigration {
    var name: String { "0004_create_recordings" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        // Literal, as they were when this migration was released: a status added later comes
        // with a migration of its own, never by changing this one.
        return [
            """
            CREATE TABLE recordings (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                room_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES rooms (id),
                session_id \(unsafeRaw: kind.uuidType) REFERENCES sessions (id),
                provider TEXT NOT NULL,
                provider_recording_id TEXT,
                status TEXT NOT NULL CHECK (status IN ('scheduled', 'starting', 'recording', 'stopping', 'processing', 'ready', 'failed', 'aborted', 'deleted')),
                layout TEXT,
                audio_only BOOLEAN NOT NULL DEFAULT FALSE,
                requested_by TEXT,
                started_at BIGINT,
                ended_at BIGINT,
                duration_ms BIGINT,
                size_bytes BIGINT,
                error TEXT,
                limit_reached BOOLEAN NOT NULL DEFAULT FALSE,
                storage TEXT NOT NULL,
                key_prefix TEXT NOT NULL,
                retain_until BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            // Keyset pagination, newest first: unfiltered, by room, by status.
            "CREATE INDEX recordings_created ON recordings (created_at, id)",
            "CREATE INDEX recordings_room_created ON recordings (room_id, created_at, id)",
            "CREATE INDEX recordings_status_created ON recordings (status, created_at, id)",
            "CREATE INDEX recordings_session ON recordings (session_id)",
            "CREATE UNIQUE INDEX recordings_provider_id ON recordings (provider, provider_recording_id)",
            // The database itself guarantees at most one live recorder per room, whatever races the webhooks run.
            "CREATE UNIQUE INDEX recordings_one_active_per_room ON recordings (room_id) WHERE status IN ('scheduled', 'starting', 'recording', 'stopping')",
            "CREATE INDEX recordings_retain_until ON recordings (retain_until)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE recordings"] }
}
