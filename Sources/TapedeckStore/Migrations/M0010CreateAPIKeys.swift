import SQLKit

/// Admin API keys: a public lookup part and the SHA-256 of the secret part.
struct M0010CreateAPIKeys: CatalogMigration {
    var name: String { "0010_create_api_keys" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE api_keys (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                name TEXT NOT NULL,
                lookup TEXT NOT NULL UNIQUE,
                hash TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT
            )
            """
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE api_keys"] }
}
