import SQLKit

/// The provider's own id of a room: 100ms starts and stops recordings by room id, not by name.
struct M0019AddRoomProviderID: CatalogMigration {
    var name: String { "0019_add_room_provider_id" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        ["ALTER TABLE rooms ADD COLUMN provider_room_id TEXT"]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        ["ALTER TABLE rooms DROP COLUMN provider_room_id"]
    }
}
