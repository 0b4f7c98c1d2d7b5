import SQLKit

/// A hold keeps a recording from retention, whatever its age.
struct M0014AddRecordingHold: CatalogMigration {
    var name: String { "0014_add_recording_hold" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "ALTER TABLE recordings ADD COLUMN on_hold BOOLEAN NOT NULL DEFAULT FALSE",
            // Retention walks finished recordings oldest first.
            "CREATE INDEX recordings_retention ON recordings (status, ended_at)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        ["DROP INDEX recordings_retention", "ALTER TABLE recordings DROP COLUMN on_hold"]
    }
}
