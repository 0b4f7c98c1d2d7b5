import SQLKit

/// Rooms of the media server; a room's policy says when it records.
struct M0001CreateRooms: CatalogMigration {
    var name: String { "0001_create_rooms" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE rooms (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                provider TEXT NOT NULL,
                name TEXT NOT NULL UNIQUE,
                display_name TEXT,
                policy_json TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] { ["DROP TABLE rooms"] }
}
