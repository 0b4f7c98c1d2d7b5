import SQLKit

/// The stretches in which a recording was paused, `[[start_ms, end_ms], ...]` with `null` for
/// the end of the current one: the recording says whether it is paused, and cues are placed
/// with the paused time taken out. `pause_request_until` (epoch ms) is held while a pause or
/// resume is with the provider, so that two at once (from any instance) are not noted in the
/// order the provider happens to answer; it lapses by itself after a crash. Nullable, so the
/// previous release's inserts still work.
struct M0026AddRecordingPauses: CatalogMigration {
    var name: String { "0026_add_recording_pauses" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "ALTER TABLE recordings ADD COLUMN paused_stretches TEXT",
            "ALTER TABLE recordings ADD COLUMN pause_request_until BIGINT",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "ALTER TABLE recordings DROP COLUMN pause_request_until",
            "ALTER TABLE recordings DROP COLUMN paused_stretches",
        ]
    }
}
