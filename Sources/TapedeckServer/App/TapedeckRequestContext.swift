import Foundation
import Hummingbird
import Logging
import NIOCore
import TapedeckCore
import TapedeckRecording

/// Who is making a request, once authenticated.
public enum Principal: Sendable, Equatable {
    /// An admin API key: a global one sees and manages everything, an organization's key only
    /// that organization's rooms and what belongs to them.
    case admin(keyID: UUID, name: String, organizationID: UUID? = nil)
    /// A viewer token's holder: sees the recordings of sessions they took part in.
    case viewer(identity: String, name: String?, email: String?, organization: ViewerOrganization? = nil)

    /// The holder of a verified viewer token.
    static func viewer(_ viewer: VerifiedViewer) -> Principal {
        .viewer(identity: viewer.claims.sub, name: viewer.claims.name, email: viewer.claims.email, organization: viewer.organization)
    }

    /// What an admin key may see: everything, or one organization's. `nil` for viewers.
    var adminScope: AdminScope? {
        guard case .admin(_, _, let organizationID) = self else { return nil }
        return organizationID.map(AdminScope.organization) ?? .global
    }

    /// How the principal appears in the audit log.
    public var actor: String {
        switch self {
        case .admin(let keyID, _, _): "api_key:\(keyID.uuidString.lowercased())"
        case .viewer(let identity, _, _, _): "viewer:\(identity)"
        }
    }
}

/// The per-request context of every route.
public struct TapedeckRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Echoed in `X-Request-Id` and attached to every log line of the request.
    public var requestID: String = ""
    public var principal: Principal?
    /// The peer of the connection (recorded in the audit log of playback grants).
    public var remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// Bodies are read through ``Request/decodeJSON(as:context:limit:)`` with the configured limit instead.
    public var maxUploadSize: Int { 1 << 20 }
}
