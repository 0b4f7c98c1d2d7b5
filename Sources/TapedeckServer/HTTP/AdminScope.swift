import Foundation
import TapedeckCore
import TapedeckStore

/// What an admin API key may see. An organization's key sees its organization's rooms and what
/// hangs off them (recordings, policies, shares, cues, events, its own webhook endpoints); to it
/// everything else does not exist: the same 404, with the same body, as an id nobody has.
enum AdminScope: Sendable, Equatable {
    case global
    case organization(UUID)

    /// The organization a list is limited to; `nil` lists everything.
    var organizationID: UUID? {
        if case .organization(let id) = self { return id }
        return nil
    }

    /// Whether something of `organizationID` (`nil`: of no organization) is within the scope.
    func covers(_ organizationID: UUID?) -> Bool {
        switch self {
        case .global: true
        case .organization(let own): organizationID == own
        }
    }
}

extension APIError {
    static let globalKeyRequired = APIError(
        .forbidden, code: "global_key_required",
        message: "this route manages the whole installation: use a global API key, not an organization's")
}
