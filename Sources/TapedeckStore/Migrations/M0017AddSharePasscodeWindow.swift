import SQLKit

/// Wrong passcodes are counted on the share's row, so every `serve` process on one database
/// sees the same count: the start of the current window and the tries reserved in it.
struct M0017AddSharePasscodeWindow: CatalogMigration {
    var name: String { "0017_add_share_passcode_window" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "ALTER TABLE shares ADD COLUMN passcode_window_started_at BIGINT",
            "ALTER TABLE shares ADD COLUMN passcode_attempts INTEGER NOT NULL DEFAULT 0",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        ["ALTER TABLE shares DROP COLUMN passcode_attempts", "ALTER TABLE shares DROP COLUMN passcode_window_started_at"]
    }
}
