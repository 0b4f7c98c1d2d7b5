import SQLKit

/// Outbound webhooks: the customer's endpoints and one delivery row per event and endpoint.
///
/// The signing secret must be usable to sign, so it cannot be hashed: it is kept sealed
/// (AES-GCM) with a key that never enters the database.
struct M0015CreateWebhooks: CatalogMigration {
    var name: String { "0015_create_webhooks" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE webhook_endpoints (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                url TEXT NOT NULL,
                events_json TEXT NOT NULL,
                description TEXT,
                secret_sealed TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE webhook_deliveries (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                endpoint_id \(unsafeRaw: kind.uuidType) NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
                event_id \(unsafeRaw: kind.uuidType) NOT NULL,
                event_type TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_status_code INTEGER,
                last_error TEXT,
                next_attempt_at BIGINT,
                delivered_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (endpoint_id, event_id)
            )
            """,
            "CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, created_at)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        ["DROP TABLE webhook_deliveries", "DROP TABLE webhook_endpoints"]
    }
}
