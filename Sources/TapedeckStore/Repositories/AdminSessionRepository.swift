import Foundation
import SQLKit
import TapedeckCore

/// Dashboard sessions that were signed out (see M0018CreateEndedAdminSessions).
public struct AdminSessionRepository: Sendable {
    let session: CatalogSession

    /// Remembers a signed-out session until `expiresAt`, when its cookie stops working anyway.
    public func end(sessionHash: String, expiresAt: Date) async throws {
        try await session.sql.raw(
            """
            INSERT INTO ended_admin_sessions (session_hash, expires_at)
            VALUES (\(bind: sessionHash), \(bind: expiresAt.millisecondsSince1970))
            ON CONFLICT (session_hash) DO NOTHING
            """
        ).run()
    }

    public func isEnded(sessionHash: String) async throws -> Bool {
        try await session.sql.raw(
            "SELECT 1 AS ended FROM ended_admin_sessions WHERE session_hash = \(bind: sessionHash)"
        ).first() != nil
    }

    /// Forgets sessions whose cookies have expired.
    public func prune(now: Date) async throws {
        try await session.sql.raw(
            "DELETE FROM ended_admin_sessions WHERE expires_at < \(bind: now.millisecondsSince1970)"
        ).run()
    }
}
