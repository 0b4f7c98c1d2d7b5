import SQLKit

/// Runs a migration's statements as one transaction on one connection, for a change that must
/// apply whole or not at all: Fluent runs a migration's statements one by one, outside any
/// transaction.
///
/// On SQLite, foreign keys are not enforced meanwhile (the catalog enforces them otherwise) and
/// are checked before the commit. Rebuilding a table means dropping it, and dropping a table
/// that others refer to is an implicit `DELETE` of its rows, which enforcement refuses; SQLite's
/// documented procedure for such changes turns enforcement off, which it only allows outside a
/// transaction, hence the one connection.
enum MigrationTransaction {
    static func run(
        on database: any SQLDatabase, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Void
    ) async throws {
        let kind = database.kind
        try await database.withSession { connection in
            let enforced = kind == .sqlite ? try await foreignKeysEnforced(connection) : false
            if enforced { try await connection.raw("PRAGMA foreign_keys = OFF").run() }
            do {
                try await connection.raw(kind == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN").run()
                do {
                    try await body(connection)
                    if kind == .sqlite { try await requireForeignKeysHold(connection) }
                    try await connection.raw("COMMIT").run()
                } catch {
                    // Shielded from cancellation: the connection must not go back to the pool mid-transaction.
                    await Task { try? await connection.raw("ROLLBACK").run() }.value
                    throw error
                }
            } catch {
                if enforced { await Task { try? await connection.raw("PRAGMA foreign_keys = ON").run() }.value }
                throw error
            }
            if enforced { try await connection.raw("PRAGMA foreign_keys = ON").run() }
        }
    }

    private static func foreignKeysEnforced(_ connection: any SQLDatabase) async throws -> Bool {
        try await connection.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self) == 1
    }

    /// What enforcement would have refused while it was off: a row referring to one that is gone.
    private static func requireForeignKeysHold(_ connection: any SQLDatabase) async throws {
        guard let row = try await connection.raw("PRAGMA foreign_key_check").first() else { return }
        let table = (try? row.decode(column: "table", as: String.self)) ?? "?"
        let parent = (try? row.decode(column: "parent", as: String.self)) ?? "?"
        throw CatalogDataError(description: "a row of \(table) refers to a missing row of \(parent); the migration was rolled back")
    }
}
