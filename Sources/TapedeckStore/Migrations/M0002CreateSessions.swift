import SQLKit

/// One occurrence of a room, from its first event to `room_finished`.
struct M0002CreateSessions: CatalogMigration {
    var name: String { "0002_create_sessions" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE sessions (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                room_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES rooms (id),
                provider_session_id TEXT,
                key TEXT NOT NULL UNIQUE,
                started_at BIGINT NOT NULL,
                ended_at BIGINT,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX sessions_room_started ON sessions (room_id, started_at)",
            "CREATE INDEX sessions_provider_session ON sessions (provider_session_id)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE sessions"] }
}
