import SQLKit

/// Imports used to leave their session open, and the next live session of the room took it
/// over (and with it the imported recording). An imported session is over when it is written:
/// close the ones left open. Nothing to undo: a closed session is what they should have been.
struct M0016CloseImportedSessions: CatalogMigration {
    var name: String { "0016_close_imported_sessions" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            UPDATE sessions SET ended_at = started_at
            WHERE ended_at IS NULL AND id IN (SELECT session_id FROM recordings WHERE provider = 'import')
            """
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { [] }
}
