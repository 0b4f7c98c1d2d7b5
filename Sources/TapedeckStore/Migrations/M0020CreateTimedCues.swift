import SQLKit

/// Cues as transcripts and translation cards need them, replacing the unused table of 0011.
///
/// A cue posted during a session carries wall-clock times and is kept on the session until a
/// recording covers it; its media times are derived from the recording's media start and the
/// operator's offset, so they can be recomputed when either changes. Search is full-text:
/// FTS5 on SQLite, a `tsvector` per language configuration on PostgreSQL.
struct M0020CreateTimedCues: CatalogMigration {
    var name: String { "0020_create_timed_cues" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        var statements: [SQLQueryString] = [
            // 0011's table was never written to: nothing is lost by replacing it.
            "DROP TABLE cues",
            """
            CREATE TABLE cues (
                id \(unsafeRaw: kind.autoIncrementPrimaryKey),
                session_id \(unsafeRaw: kind.uuidType) REFERENCES sessions (id) ON DELETE CASCADE,
                recording_id \(unsafeRaw: kind.uuidType) REFERENCES recordings (id) ON DELETE CASCADE,
                kind TEXT NOT NULL CHECK (kind IN ('captions', 'subtitles', 'chapters', 'metadata')),
                language TEXT NOT NULL,
                cue_key TEXT NOT NULL,
                start_at BIGINT,
                end_at BIGINT,
                start_ms BIGINT,
                end_ms BIGINT,
                text TEXT NOT NULL,
                speaker TEXT,
                speaker_identity TEXT,
                source TEXT NOT NULL CHECK (source IN ('live', 'upload', 'provider', 'translation')),
                final BOOLEAN NOT NULL DEFAULT TRUE,
                translation_of TEXT,
                posted_by TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                CHECK (session_id IS NOT NULL OR recording_id IS NOT NULL),
                CHECK (start_at IS NOT NULL OR start_ms IS NOT NULL)
            )
            """,
            // One cue per key: retries and interim-to-final updates land on the same row.
            "CREATE UNIQUE INDEX cues_recording_key ON cues (recording_id, kind, language, cue_key)",
            "CREATE UNIQUE INDEX cues_session_key ON cues (session_id, kind, language, cue_key)",
            // A track in playback order.
            "CREATE INDEX cues_recording_track ON cues (recording_id, kind, language, start_ms)",
            // Cues of a session waiting for a recording to cover them.
            "CREATE INDEX cues_session_unattached ON cues (session_id, start_at) WHERE recording_id IS NULL",
            // Media start as the provider reported it for the files (egress lags the room) and
            // the operator's correction of cue times.
            "ALTER TABLE recordings ADD COLUMN media_started_at BIGINT",
            "ALTER TABLE recordings ADD COLUMN cue_offset_ms BIGINT NOT NULL DEFAULT 0",
            // The first timestamp of the HLS segments, measured: subtitle playlists map onto it.
            "ALTER TABLE recordings ADD COLUMN hls_start_ms BIGINT",
        ]
        switch kind {
        case .sqlite:
            statements += [
                """
                CREATE VIRTUAL TABLE cues_fts USING fts5(
                    text, content='cues', content_rowid='id', tokenize='unicode61 remove_diacritics 2')
                """,
                """
                CREATE TRIGGER cues_fts_insert AFTER INSERT ON cues BEGIN
                    INSERT INTO cues_fts (rowid, text) VALUES (new.id, new.text);
                END
                """,
                """
                CREATE TRIGGER cues_fts_delete AFTER DELETE ON cues BEGIN
                    INSERT INTO cues_fts (cues_fts, rowid, text) VALUES ('delete', old.id, old.text);
                END
                """,
                """
                CREATE TRIGGER cues_fts_update AFTER UPDATE OF text ON cues BEGIN
                    INSERT INTO cues_fts (cues_fts, rowid, text) VALUES ('delete', old.id, old.text);
                    INSERT INTO cues_fts (rowid, text) VALUES (new.id, new.text);
                END
                """,
            ]
        case .postgres:
            statements += [
                """
                ALTER TABLE cues ADD COLUMN search tsvector GENERATED ALWAYS AS (
                    to_tsvector(\(unsafeRaw: Self.searchConfiguration("language")), text)) STORED
                """,
                "CREATE INDEX cues_search ON cues USING GIN (search)",
            ]
        }
        return statements
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        var statements: [SQLQueryString] = []
        if kind == .sqlite { statements.append("DROP TABLE cues_fts") }
        return statements + [
            "DROP TABLE cues",
            "ALTER TABLE recordings DROP COLUMN hls_start_ms",
            "ALTER TABLE recordings DROP COLUMN cue_offset_ms",
            "ALTER TABLE recordings DROP COLUMN media_started_at",
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

    /// The text-search configuration for a language column: stemming where PostgreSQL ships a
    /// configuration for the language, plain words otherwise. Constants only, so the generated
    /// column's expression stays immutable.
    static func searchConfiguration(_ column: String) -> String {
        let cases = SearchLanguages.postgresConfigurations.map { "WHEN '\($0.key)' THEN '\($0.value)'::regconfig" }
        return "(CASE lower(split_part(\(column), '-', 1)) \(cases.joined(separator: " ")) ELSE 'simple'::regconfig END)"
    }
}

/// The languages PostgreSQL stems, by primary language subtag; migrations and queries share it.
package enum SearchLanguages {
    // Released in 0020: adding a language needs a migration that regenerates the column.
    package static let postgresConfigurations: [(key: String, value: String)] = [
        ("ar", "arabic"), ("da", "danish"), ("de", "german"), ("el", "greek"), ("en", "english"),
        ("es", "spanish"), ("fi", "finnish"), ("fr", "french"), ("hu", "hungarian"), ("id", "indonesian"),
        ("it", "italian"), ("nl", "dutch"), ("no", "norwegian"), ("nb", "norwegian"), ("pt", "portuguese"),
        ("ro", "romanian"), ("ru", "russian"), ("sv", "swedish"), ("tr", "turkish"),
    ]
}
