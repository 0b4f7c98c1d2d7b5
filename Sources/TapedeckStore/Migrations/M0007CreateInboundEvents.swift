import SQLKit

/// Ids of provider webhooks already applied, so a redelivery changes nothing.
struct M0007CreateInboundEvents: CatalogMigration {
    var name: String { "0007_create_inbound_events" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE inbound_events (
                provider TEXT NOT NULL,
                event_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                PRIMARY KEY (provider, event_id)
            )
            """,
            "CREATE INDEX inbound_events_received ON inbound_events (received_at)",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE inbound_events"] }
}
