import SQLKit

/// What a recording was asked for (so the recorder can be started, retried and limited later),
/// and the client's idempotency key for manual starts.
struct M0013AddRecordingRequest: CatalogMigration {
    var name: String { "0013_add_recording_request" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "ALTER TABLE recordings ADD COLUMN request_json TEXT",
            "ALTER TABLE recordings ADD COLUMN max_duration_s INTEGER",
            "ALTER TABLE recordings ADD COLUMN request_key TEXT",
            "CREATE UNIQUE INDEX recordings_request_key ON recordings (request_key)",
            // The reconciler looks for recordings that stayed unfinished too long.
            "CREATE INDEX recordings_status_updated ON recordings (status, updated_at)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "DROP INDEX recordings_status_updated",
            "DROP INDEX recordings_request_key",
            "ALTER TABLE recordings DROP COLUMN request_key",
            "ALTER TABLE recordings DROP COLUMN max_duration_s",
            "ALTER TABLE recordings DROP COLUMN request_json",
        ]
    }
}
