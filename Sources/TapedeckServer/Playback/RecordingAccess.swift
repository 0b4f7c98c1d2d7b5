import Foundation
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// Who may see a recording: admins; viewers who took part in its session (as participant or
/// host). Anyone else gets the same 404 as for a recording that does not exist, so ids cannot
/// be probed.
enum RecordingAccess {
    enum Role: String {
        case admin, host, participant
    }

    /// The recording, when the admin key's scope covers it (deleted ones included, as for
    /// global keys); otherwise the same 404 as an id nobody has.
    static func administered(_ id: UUID, by context: TapedeckRequestContext, catalog: Catalog) async throws -> (Principal, Recording) {
        let (principal, scope) = try context.requireScopedAdmin()
        guard let recording = try await catalog.pool.recordings.find(id: id),
            scope.covers(try await catalog.pool.rooms.organizationID(of: recording.roomID))
        else {
            throw APIError.notFound("recording")
        }
        return (principal, recording)
    }

    static func viewable(_ id: UUID, by principal: Principal?, catalog: Catalog) async throws -> (Recording, Role) {
        guard let principal else { throw APIError.unauthorized }
        guard let recording = try await catalog.pool.recordings.find(id: id) else { throw APIError.notFound("recording") }
        switch principal {
        case .admin:
            if case .organization(let own) = principal.adminScope, try await catalog.pool.rooms.organizationID(of: recording.roomID) != own {
                throw APIError.notFound("recording")
            }
            return (recording, .admin)
        case .viewer(let identity, _, _):
            guard recording.status != .deleted, let sessionID = recording.sessionID,
                let role = try await catalog.pool.participants.role(identity: identity, sessionID: sessionID)
            else { throw APIError.notFound("recording") }
            return (recording, role == "host" ? .host : .participant)
        }
    }
}
