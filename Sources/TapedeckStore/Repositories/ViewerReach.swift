import Foundation
import SQLKit
import TapedeckCore

/// What a viewer's token lets them watch, in the terms the catalog can select by: the viewer rule
/// (`RecordingAccess.decide` in the server) written as a condition on a recording row, so that a
/// listing or a search reads only rows the viewer may see and a page is full whenever more exist.
///
/// The rule: a token speaks for the rooms of one organization (its own key), or, for the
/// installation's global secret, for rooms of no organization and those of organizations that
/// allow it. Within those rooms the viewer watches the recordings of sessions they took part in,
/// or all of them when their organization's rule lets them (`wholeOrganization`). Deleted
/// recordings are nobody's.
public struct ViewerReach: Sendable, Equatable {
    public enum Token: Sendable, Equatable {
        /// A token of the installation's global secret.
        case installation
        /// A token signed with this organization's key; `wholeOrganization` when the
        /// organization's access rule lets this viewer watch every recording of its rooms.
        case organization(UUID, wholeOrganization: Bool)
    }

    public var identity: String
    public var token: Token
    /// Also the recordings this address was invited to (on the recording or its room), within the
    /// rooms the token speaks for: what a viewer's own page lists beside what they may watch.
    public var invitedEmail: String?

    public init(identity: String, token: Token, invitedEmail: String? = nil) {
        self.identity = identity
        self.token = token
        self.invitedEmail = invitedEmail
    }

    /// True for the rows of `recordings` (aliased `r`) the token may watch.
    var watchable: SQLQueryString {
        switch token {
        case .organization(_, wholeOrganization: true): return "(" + rooms + " AND r.status <> 'deleted')"
        default: return "(" + rooms + " AND " + participated + " AND r.status <> 'deleted')"
        }
    }

    /// `watchable`, or invited to by `invitedEmail` in a room the token speaks for.
    var listed: SQLQueryString {
        guard let email = invitedEmail else { return watchable }
        let address = EmailAddress.normalize(email)
        let invited: SQLQueryString = """
            (r.id IN (SELECT recording_id FROM invitees WHERE email = \(bind: address) AND recording_id IS NOT NULL)
                OR r.room_id IN (SELECT room_id FROM invitees WHERE email = \(bind: address) AND room_id IS NOT NULL))
            """
        return "(" + watchable + " OR (" + rooms + " AND " + invited + " AND r.status <> 'deleted'))"
    }

    /// The rooms the token speaks for.
    private var rooms: SQLQueryString {
        switch token {
        case .installation:
            return """
                r.room_id IN (SELECT id FROM rooms WHERE organization_id IS NULL
                    OR organization_id IN (SELECT id FROM organizations WHERE allow_global_viewer_secret = \(bind: true)))
                """
        case .organization(let id, _):
            return "r.room_id IN (SELECT id FROM rooms WHERE organization_id = \(bind: id))"
        }
    }

    /// participants_identity_session makes this an index lookup per viewer.
    private var participated: SQLQueryString {
        "r.session_id IN (SELECT session_id FROM participants WHERE identity = \(bind: identity))"
    }
}
