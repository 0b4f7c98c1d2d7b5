import SQLKit

/// Invitations and the outbox: who is invited to a room's or a recording's recordings, the
/// emails sent to them (one row per message, with an idempotency key so a retried step never
/// writes a second one), the emails viewer tokens were minted with (so a session's participants
/// can be invited), and share links whose possession is the credential (sent to one address).
///
/// Additive only: the previous release ignores the new tables, and its reading of `shares`
/// treats a link-credential share as one that needs a viewer token with the email (stricter).
struct M0024CreateInvitationsAndEmails: CatalogMigration {
    var name: String { "0024_create_invitations_and_emails" }

    func up(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            """
            CREATE TABLE invitees (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                room_id \(unsafeRaw: kind.uuidType) REFERENCES rooms (id) ON DELETE CASCADE,
                recording_id \(unsafeRaw: kind.uuidType) REFERENCES recordings (id) ON DELETE CASCADE,
                email TEXT NOT NULL,
                name TEXT,
                role TEXT,
                created_at BIGINT NOT NULL,
                CHECK ((room_id IS NULL AND recording_id IS NOT NULL) OR (room_id IS NOT NULL AND recording_id IS NULL))
            )
            """,
            "CREATE UNIQUE INDEX invitees_room_email ON invitees (room_id, email) WHERE room_id IS NOT NULL",
            "CREATE UNIQUE INDEX invitees_recording_email ON invitees (recording_id, email) WHERE recording_id IS NOT NULL",
            "CREATE INDEX invitees_email ON invitees (email)",
            """
            CREATE TABLE emails (
                id \(unsafeRaw: kind.uuidType) PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('invite', 'access_link')),
                recipient TEXT NOT NULL,
                name TEXT,
                subject TEXT NOT NULL,
                text_body TEXT NOT NULL,
                html_body TEXT NOT NULL,
                recording_id \(unsafeRaw: kind.uuidType) REFERENCES recordings (id) ON DELETE SET NULL,
                share_id \(unsafeRaw: kind.uuidType) REFERENCES shares (id) ON DELETE SET NULL,
                link_sealed TEXT,
                message_id TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
                attempts INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                idempotency_key TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                sent_at BIGINT
            )
            """,
            "CREATE INDEX emails_status ON emails (status, created_at)",
            "CREATE INDEX emails_recipient ON emails (recipient, created_at)",
            """
            CREATE TABLE viewer_emails (
                identity TEXT PRIMARY KEY,
                email TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            "CREATE INDEX viewer_emails_email ON viewer_emails (email)",
            "ALTER TABLE shares ADD COLUMN link_is_credential BOOLEAN NOT NULL DEFAULT FALSE",
        ]
    }

    func down(_ kind: DatabaseKind) -> [SQLQueryString] {
        [
            "ALTER TABLE shares DROP COLUMN link_is_credential",
            "DROP TABLE viewer_emails", "DROP TABLE emails", "DROP TABLE invitees",
        ]
    }
}
