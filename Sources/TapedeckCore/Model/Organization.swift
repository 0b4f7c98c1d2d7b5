import Foundation

/// A tenant of one installation (a school, a company, a programme). Its rooms' recordings are
/// seen by its own API keys and, as its access rule says, by its members.
public struct Organization: Sendable, Equatable {
    public var id: UUID
    public var slug: String
    public var name: String
    public var accessRule: OrganizationAccessRule
    /// Whether tokens signed with the installation's `TAPEDECK_VIEWER_SECRET` count for its rooms.
    public var allowGlobalViewerSecret: Bool
    /// The organization's default retention; a room's policy overrides it, it overrides the global one.
    public var retainDays: Int?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, slug: String, name: String, accessRule: OrganizationAccessRule, allowGlobalViewerSecret: Bool,
        retainDays: Int?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.accessRule = accessRule
        self.allowGlobalViewerSecret = allowGlobalViewerSecret
        self.retainDays = retainDays
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Who of an organization's people may watch its rooms' recordings.
public enum OrganizationAccessRule: String, Sendable, CaseIterable, Codable {
    /// Only those who took part in the session (hosts and participants), as without organizations.
    case participants
    /// Every member of the organization sees every recording of its rooms.
    case members
    /// Members see their own sessions' recordings, the organization's admins see all.
    case admins
}

/// The role a viewer token claims in its organization (`org_role`).
public enum OrganizationRole: String, Sendable, CaseIterable, Codable {
    case member, admin
}

/// What an organization's slug may be: it appears in room names (`TAPEDECK_ORG_FROM=room_prefix`),
/// CLI options and URLs, so it is kept to lower-case ASCII letters, digits and inner hyphens.
public enum OrganizationSlug {
    public static let maximumLength = 63

    /// `nil` when valid, else why not.
    public static func problem(_ slug: String) -> String? {
        guard !slug.isEmpty, slug.utf8.count <= maximumLength else {
            return "slug must be 1 to \(maximumLength) characters"
        }
        let allowed = slug.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
        guard allowed, slug.first != "-", slug.last != "-" else {
            return "slug may hold only a-z, 0-9 and inner hyphens"
        }
        return nil
    }
}
