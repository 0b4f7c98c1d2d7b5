import Foundation
import TapedeckStore

/// Whose address a participant identity is comes only from the installation's own viewer
/// tokens (organizations' tokens never write it): identities are one namespace across
/// organizations, so those addresses speak for a room only where the installation's tokens do —
/// a room of no organization, or of one that allows them. Elsewhere another tenant's user of the
/// same identity would be mailed this organization's recordings.
enum ParticipantAddresses {
    static func apply(to roomID: UUID, catalog: Catalog) async throws -> Bool {
        guard let organizationID = try await catalog.pool.rooms.organizationID(of: roomID) else { return true }
        return try await catalog.pool.organizations.find(id: organizationID)?.allowGlobalViewerSecret ?? false
    }
}
