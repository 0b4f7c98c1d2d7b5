import SQLKit

/// Dashboard sessions signed out before they expired. A session cookie is signed, not stored, so
/// logging out must be remembered by the server until the cookie would have expired anyway;
/// only a hash of the cookie is kept.
struct M0018CreateEndedAdminSessions: CatalogMigration {
    var name: String { "0018_create_ended_admin_sessions" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE ended_admin_sessions (
                session_hash TEXT PRIMARY KEY,
                expires_at BIGINT NOT NULL
            )
            """
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE ended_admin_sessions"] }
}
