import SQLKit

/// The audit log. No foreign keys: the history of a recording outlives its rows.
struct M0006CreateEvents: CatalogMigration {
    var name: String { "0006_create_events" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE events (
                id \(unsafeRaw: kind.autoIncrementPrimaryKey),
                recording_id \(unsafeRaw: kind.uuidType),
                session_id \(unsafeRaw: kind.uuidType),
                type TEXT NOT NULL,
                actor TEXT NOT NULL,
                data_json TEXT NOT NULL DEFAULT '{}',
                at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX events_recording ON events (recording_id, id)",
            "CREATE INDEX events_session ON events (session_id, id)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE events"] }
}
