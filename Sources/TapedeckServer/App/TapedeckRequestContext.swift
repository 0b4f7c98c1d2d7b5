import Foundation
import Hummingbird
import Logging
import TapedeckCore

/// Who is making a request, once authenticated.
public enum Principal: Sendable, Equatable {
    /// An admin API key: sees and manages everything.
    case admin(keyID: UUID, name: String)

    /// How the principal appears in the audit log.
    public var actor: String {
        switch self {
        case .admin(let keyID, _): "api_key:\(keyID.uuidString.lowercased())"
        }
    }
}

/// The per-request context of every route.
public struct TapedeckRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Echoed in `X-Request-Id` and attached to every log line of the request.
    public var requestID: String = ""
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }

    /// Bodies are read through ``Request/decodeJSON(as:context:limit:)`` with the configured limit instead.
    public var maxUploadSize: Int { 1 << 20 }
}
