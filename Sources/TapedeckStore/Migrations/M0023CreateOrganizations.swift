import SQLKit

/// Organizations (tenants of one installation): rooms, API keys and webhook endpoints may belong
/// to one; each has its own viewer-token secrets, kept sealed (they must be recovered to verify
/// HS256 signatures) and named by `kid`. Every new column is nullable: the previous release
/// neither reads nor writes them, and a row without an organization is the global one it knew.
struct M0023CreateOrganizations: CatalogMigration {
    var name: String { "0023_create_organizations" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE organizations (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                slug TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                access_rule TEXT NOT NULL DEFAULT 'participants'
                    CHECK (access_rule IN ('participants', 'members', 'admins')),
                allow_global_viewer_secret BOOLEAN NOT NULL DEFAULT FALSE,
                retain_days BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE organization_viewer_secrets (
                kid TEXT PRIMARY KEY,
                organization_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
                secret_sealed TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT
            )
            """,
            "CREATE INDEX organization_viewer_secrets_org ON organization_viewer_secrets (organization_id, created_at)",
            // No REFERENCES on added columns: SQLite cannot drop a column that has one (down).
            "ALTER TABLE rooms ADD COLUMN organization_id \(unsafeRaw: kind.uuidType)",
            "CREATE INDEX rooms_organization ON rooms (organization_id)",
            "ALTER TABLE api_keys ADD COLUMN organization_id \(unsafeRaw: kind.uuidType)",
            "ALTER TABLE webhook_endpoints ADD COLUMN organization_id \(unsafeRaw: kind.uuidType)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "ALTER TABLE webhook_endpoints DROP COLUMN organization_id",
            "ALTER TABLE api_keys DROP COLUMN organization_id",
            "DROP INDEX rooms_organization",
            "ALTER TABLE rooms DROP COLUMN organization_id",
            "DROP TABLE organization_viewer_secrets",
            "DROP TABLE organizations",
        ]
    }
}
