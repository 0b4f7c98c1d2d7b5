import FluentKit
import SQLKit

/// A room belongs to its provider: the same name on LiveKit and on 100ms is two rooms, each with
/// its own policy, sessions and recordings. Names were unique across providers until now.
///
/// PostgreSQL drops the constraint. SQLite cannot drop a column's UNIQUE, so the table is rebuilt
/// (new table, copy, drop, rename) with the rows, and so the ids sessions and recordings refer
/// to, unchanged; see ``MigrationTransaction`` for the foreign keys meanwhile.
struct M0021SplitRoomsByProvider: CatalogMigration {
    var name: String { "0021_split_rooms_by_provider" }

    /// Every column of `rooms` when this migration was written, in order. The rebuild copies
    /// these and no others, so it refuses to run on a table that has any other.
    static let columns = [
        "id", "provider", "name", "display_name", "policy_json", "created_at", "updated_at", "provider_room_id",
    ]

    /// A room first made by the local recorder or an import, that LiveKit then used under the same
    /// name, was labelled with the provider that made it. A session none of whose recordings is
    /// local or imported came from LiveKit's webhooks (100ms never shared a room), so such a room
    /// is LiveKit's: without this, LiveKit would now find no room of its own and a new one would
    /// start without the policy set on the shared one.
    static let relabelSharedRooms: SQLQueryString = """
        UPDATE rooms SET provider = 'livekit'
        WHERE provider IN ('local', 'import') AND EXISTS (
            SELECT 1 FROM sessions s WHERE s.room_id = rooms.id
                AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.id AND r.provider IN ('local', 'import')))
        """

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        // (name, provider) rather than (provider, name): the same uniqueness, and lookups by name
        // alone (listings, the API's rooms) use the index too.
        let index: SQLQueryString = "CREATE UNIQUE INDEX rooms_name_provider ON rooms (name, provider)"
        switch kind {
        case .postgres:
            return [Self.relabelSharedRooms, "ALTER TABLE rooms DROP CONSTRAINT rooms_name_key", index]
        case .sqlite:
            return [Self.relabelSharedRooms] + Self.rebuild(nameConstraint: "") + [index]
        }
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        switch kind {
        case .postgres:
            return ["DROP INDEX rooms_name_provider", "ALTER TABLE rooms ADD CONSTRAINT rooms_name_key UNIQUE (name)"]
        case .sqlite:
            return Self.rebuild(nameConstraint: " UNIQUE")
        }
    }

    /// SQLite's rebuild of `rooms` as it stood at 0019, with `name` carrying `nameConstraint`.
    static func rebuild(nameConstraint: String) -> [SQLQueryString] {
        let list = columns.joined(separator: ", ")
        return [
            """
            CREATE TABLE rooms_rebuilt (
                id TEXT PRIMARY KEY,
                provider TEXT NOT NULL,
                name TEXT NOT NULL\(unsafeRaw: nameConstraint),
                display_name TEXT,
                policy_json TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                provider_room_id TEXT
            )
            """,
            "INSERT INTO rooms_rebuilt (\(unsafeRaw: list)) SELECT \(unsafeRaw: list) FROM rooms",
            "DROP TABLE rooms",
            // The tables referring to `rooms` name it, not the dropped table: they refer to this one now.
            "ALTER TABLE rooms_rebuilt RENAME TO rooms",
        ]
    }

    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = up(sql.kind)
        try await MigrationTransaction.run(on: sql) { connection in
            if connection.kind == .sqlite { try await Self.requireRebuildable(connection) }
            for statement in statements { try await connection.raw(statement).run() }
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = down(sql.kind)
        try await MigrationTransaction.run(on: sql) { connection in
            if let shared = try await connection.raw(
                "SELECT name FROM rooms GROUP BY name HAVING COUNT(*) > 1 LIMIT 1"
            ).first() {
                let name = try shared.decode(column: "name", as: String.self)
                throw CatalogDataError(
                    description: "cannot revert \(self.name): room name \(name.debugDescription) is used by more than one provider")
            }
            if connection.kind == .sqlite { try await Self.requireRebuildable(connection) }
            for statement in statements { try await connection.raw(statement).run() }
        }
    }

    /// The rebuild would lose a column, index or trigger it does not know (one a later change
    /// added): refuse rather than lose it.
    static func requireRebuildable(_ connection: any SQLDatabase) async throws {
        let found = try await connection.raw("SELECT name FROM pragma_table_info('rooms') ORDER BY cid").all()
            .map { try $0.decode(column: "name", as: String.self) }
        guard found == columns else {
            throw CatalogDataError(description: "rooms has columns \(found), the rebuild knows \(columns)")
        }
        let extras = try await connection.raw(
            "SELECT name FROM sqlite_master WHERE tbl_name = 'rooms' AND type IN ('index', 'trigger') AND sql IS NOT NULL AND name <> 'rooms_name_provider'"
        ).all().map { try $0.decode(column: "name", as: String.self) }
        guard extras.isEmpty else {
            throw CatalogDataError(description: "rooms has indexes or triggers the rebuild does not know: \(extras)")
        }
    }
}
