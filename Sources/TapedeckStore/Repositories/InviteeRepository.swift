import Foundation
import SQLKit
import TapedeckCore

/// Whom a room's or a recording's invitations go to. A list is replaced as a whole.
public struct InviteeRepository: Sendable {
    let session: CatalogSession

    public enum Owner: Sendable, Equatable {
        case room(UUID)
        case recording(UUID)

        var column: SQLQueryString {
            switch self {
            case .room: "room_id"
            case .recording: "recording_id"
            }
        }

        var id: UUID {
            switch self {
            case .room(let id), .recording(let id): id
            }
        }
    }

    /// Replaces the owner's list (already validated and de-duplicated; emails lowercased here).
    public func replace(_ owner: Owner, with invitees: [Invitee]) async throws {
        try await session.sql.raw("DELETE FROM invitees WHERE " + owner.column + " = \(bind: owner.id)").run()
        let now = session.nowMs
        for invitee in Invitee.deduplicated(invitees) {
            try await session.sql.raw(
                "INSERT INTO invitees (id, " + owner.column
                    + """
                    , email, name, role, created_at)
                    VALUES (\(bind: UUID()), \(bind: owner.id), \(bind: EmailAddress.normalize(invitee.email)),
                        \(bind: invitee.name), \(bind: invitee.role), \(bind: now))
                    """
            ).run()
        }
    }

    /// The owner's list, in address order.
    public func list(_ owner: Owner) async throws -> [Invitee] {
        try await session.sql.raw(
            "SELECT email, name, role FROM invitees WHERE " + owner.column + " = \(bind: owner.id) ORDER BY email"
        ).all().map(Self.decode)
    }

    /// Everyone invited to this recording: listed on it or on its room (the recording's own entry
    /// wins for the name and role), in address order.
    public func forRecording(id: UUID, roomID: UUID) async throws -> [Invitee] {
        let own = try await list(.recording(id))
        let room = try await list(.room(roomID))
        return Invitee.deduplicated(own + room).sorted { $0.email < $1.email }
    }

    /// Whether `email` is invited to this recording (on it or on its room).
    public func isInvited(email: String, recordingID: UUID, roomID: UUID) async throws -> Bool {
        try await session.sql.raw(
            """
            SELECT 1 AS one FROM invitees WHERE email = \(bind: EmailAddress.normalize(email))
                AND (recording_id = \(bind: recordingID) OR room_id = \(bind: roomID))
            LIMIT 1
            """
        ).first() != nil
    }

    static func decode(_ row: any SQLRow) throws -> Invitee {
        Invitee(email: try row.string("email"), name: try row.optionalString("name"), role: try row.optionalString("role"))
    }
}

/// The email a viewer token was minted with, by identity: how a session's participants (known to
/// the catalog only by their identity) can be emailed.
public struct ViewerEmailRepository: Sendable {
    let session: CatalogSession

    public func remember(identity: String, email: String) async throws {
        let now = session.nowMs
        try await session.sql.raw(
            """
            INSERT INTO viewer_emails (identity, email, updated_at) VALUES (\(bind: identity), \(bind: EmailAddress.normalize(email)), \(bind: now))
            ON CONFLICT (identity) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at
            """
        ).run()
    }

    /// The participants of a session whose email is known: identity, name and email.
    public func participants(sessionID: UUID) async throws -> [(identity: String, name: String?, email: String)] {
        try await session.sql.raw(
            """
            SELECT p.identity, MAX(p.name) AS name, v.email FROM participants p JOIN viewer_emails v ON v.identity = p.identity
            WHERE p.session_id = \(bind: sessionID) GROUP BY p.identity, v.email ORDER BY v.email
            """
        ).all().map { (try $0.string("identity"), try $0.optionalString("name"), try $0.string("email")) }
    }

    /// Whether a participant of the session has this email.
    public func isParticipant(email: String, sessionID: UUID) async throws -> Bool {
        try await session.sql.raw(
            """
            SELECT 1 AS one FROM participants p JOIN viewer_emails v ON v.identity = p.identity
            WHERE p.session_id = \(bind: sessionID) AND v.email = \(bind: EmailAddress.normalize(email)) LIMIT 1
            """
        ).first() != nil
    }
}
