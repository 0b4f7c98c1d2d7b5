import SQLKit

/// Timed transcript and translation entries, served as WebVTT per language.
struct M0011CreateCues: CatalogMigration {
    var name: String { "0011_create_cues" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE cues (
                id \(unsafeRaw: kind.autoIncrementPrimaryKey),
                recording_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
                language TEXT NOT NULL,
                speaker TEXT,
                start_ms BIGINT NOT NULL,
                end_ms BIGINT NOT NULL,
                text TEXT NOT NULL,
                CHECK (end_ms >= start_ms)
            )
            """,
            "CREATE INDEX cues_recording_language ON cues (recording_id, language, start_ms)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE cues"] }
}
