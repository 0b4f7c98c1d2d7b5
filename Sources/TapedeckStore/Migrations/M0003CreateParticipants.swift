import SQLKit

/// People (and only people) who were in a session; they may watch its recordings.
struct M0003CreateParticipants: CatalogMigration {
    var name: String { "0003_create_participants" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE participants (
                id \(unsafeRaw: kind.autoIncrementPrimaryKey),
                session_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
                identity TEXT NOT NULL,
                name TEXT,
                role TEXT NOT NULL DEFAULT 'participant' CHECK (role IN ('participant', 'host')),
                joined_at BIGINT NOT NULL,
                left_at BIGINT
            )
            """,
            "CREATE INDEX participants_session_identity ON participants (session_id, identity)",
            "CREATE INDEX participants_identity_session ON participants (identity, session_id)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE participants"] }
}
