import SQLKit

/// Stored files of a recording (playlist, MP4, thumbnail, captions, ...).
struct M0005CreateAssets: CatalogMigration {
    var name: String { "0005_create_assets" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE assets (
                id \(unsafeRaw: kind.autoIncrementPrimaryKey),
                recording_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                key TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size_bytes BIGINT,
                duration_ms BIGINT,
                sha256 TEXT,
                created_at BIGINT NOT NULL,
                UNIQUE (recording_id, key)
            )
            """
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE assets"] }
}
