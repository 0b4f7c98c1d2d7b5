import SQLKit

/// Share links; only the hash of each link's token and passcode is kept.
struct M0009CreateShares: CatalogMigration {
    var name: String { "0009_create_shares" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE shares (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                recording_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
                token_hash TEXT NOT NULL UNIQUE,
                email TEXT,
                passcode_hash TEXT,
                allow_download BOOLEAN NOT NULL DEFAULT FALSE,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT,
                created_by TEXT NOT NULL,
                views INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX shares_recording ON shares (recording_id, created_at)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE shares"] }
}
