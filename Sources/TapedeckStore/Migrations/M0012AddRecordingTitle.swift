import SQLKit

/// A human title for a recording (imports, manual recordings).
struct M0012AddRecordingTitle: CatalogMigration {
    var name: String { "0012_add_recording_title" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        ["ALTER TABLE recordings ADD COLUMN title TEXT"]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        ["ALTER TABLE recordings DROP COLUMN title"]
    }
}
