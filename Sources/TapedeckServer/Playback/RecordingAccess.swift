import Foundation
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// Who may see a recording: admin keys whose scope covers its room; viewers who took part in its
/// session (as participant or host), and, in an organization's rooms, the members its access
/// rule lets in. Anyone else gets the same 404 as for a recording that does not exist, so ids
/// cannot be probed.
enum RecordingAccess {
    enum Role: String {
        /// An organization's member let in by its access rule: watches, manages nothing.
        case admin, host, participant, member
    }

    /// Everything the decision for a viewer depends on, gathered from the catalog.
    struct ViewerFacts: Sendable, Equatable {
        var deleted: Bool
        /// The viewer's part in the recording's session, if they took part (`host` or `participant`).
        var sessionRole: Role?
        /// The organization of the recording's room, with its rule and whether it believes
        /// tokens of the installation's global secret; `nil` for a room of no organization.
        var room: RoomOrganization?
        /// The organization the viewer's token was signed for (`nil`: the global secret).
        var viewer: ViewerOrganization?

        struct RoomOrganization: Sendable, Equatable {
            var id: UUID
            var rule: OrganizationAccessRule
            var allowsGlobalSecret: Bool
        }
    }

    /// The viewer's role for the recording, `nil` for no access. Pure: the whole policy.
    ///
    /// - A token speaks for one organization only: an organization's token sees nothing outside
    ///   its organization's rooms (its backend could name any identity), and a token of the
    ///   global secret sees an organization's rooms only when that organization allows it.
    /// - Within that, those who took part keep what they have (hosts manage, participants
    ///   watch) under every rule; `members` lets every member watch, `admins` lets the
    ///   organization's admins watch.
    static func decide(_ facts: ViewerFacts) -> Role? {
        guard !facts.deleted else { return nil }
        switch (facts.room, facts.viewer) {
        case (nil, nil):
            return facts.sessionRole
        case (nil, .some):
            return nil
        case (.some(let room), nil):
            return room.allowsGlobalSecret ? facts.sessionRole : nil
        case (.some(let room), .some(let viewer)):
            guard room.id == viewer.id else { return nil }
            if let role = facts.sessionRole { return role }
            return seesWholeOrganization(room.rule, role: viewer.role) ? .member : nil
        }
    }

    /// Whether an organization's rule lets a viewer of its own watch every recording of its
    /// rooms, not only those of sessions they took part in.
    static func seesWholeOrganization(_ rule: OrganizationAccessRule, role: OrganizationRole) -> Bool {
        switch rule {
        case .participants: false
        case .members: true
        case .admins: role == .admin
        }
    }

    /// ``decide(_:)`` for every recording at once, as the catalog selects by: listings and
    /// searches read only what the viewer may watch, so their pages are full. `invitedEmail` adds
    /// what that address was invited to in the rooms the token speaks for (the viewer's own page).
    static func reach(identity: String, organization: ViewerOrganization?, invitedEmail: String? = nil, catalog: Catalog) async throws
        -> ViewerReach
    {
        guard let organization else { return ViewerReach(identity: identity, token: .installation, invitedEmail: invitedEmail) }
        let rule = try await catalog.pool.organizations.find(id: organization.id)?.accessRule ?? .participants
        return ViewerReach(
            identity: identity,
            token: .organization(organization.id, wholeOrganization: seesWholeOrganization(rule, role: organization.role)),
            invitedEmail: invitedEmail)
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
        case .viewer(let identity, _, _, let organization):
            guard let role = decide(try await facts(recording, identity: identity, organization: organization, catalog: catalog))
            else { throw APIError.notFound("recording") }
            return (recording, role)
        }
    }

    /// Whether a viewer's token speaks for the room at all (the first rule of ``decide(_:)``):
    /// a room of no organization takes tokens of the global secret; an organization's room its
    /// own organization's tokens, and the global secret's when it allows them.
    static func tokenCovers(_ room: Room, organization: ViewerOrganization?, catalog: Catalog) async throws -> Bool {
        guard let roomOrganization = room.organizationID else { return organization == nil }
        if let organization { return organization.id == roomOrganization }
        return try await catalog.pool.organizations.find(id: roomOrganization)?.allowGlobalViewerSecret ?? false
    }

    /// Whether a viewer may watch `recording`.
    static func mayWatch(_ recording: Recording, identity: String, organization: ViewerOrganization?, catalog: Catalog) async throws -> Bool {
        decide(try await facts(recording, identity: identity, organization: organization, catalog: catalog)) != nil
    }

    static func facts(_ recording: Recording, identity: String, organization: ViewerOrganization?, catalog: Catalog) async throws
        -> ViewerFacts
    {
        var facts = ViewerFacts(deleted: recording.status == .deleted, sessionRole: nil, room: nil, viewer: organization)
        if let sessionID = recording.sessionID, let role = try await catalog.pool.participants.role(identity: identity, sessionID: sessionID) {
            facts.sessionRole = role == "host" ? .host : .participant
        }
        if let organizationID = try await catalog.pool.rooms.organizationID(of: recording.roomID),
            let organization = try await catalog.pool.organizations.find(id: organizationID)
        {
            facts.room = .init(id: organization.id, rule: organization.accessRule, allowsGlobalSecret: organization.allowGlobalViewerSecret)
        }
        return facts
    }
}
