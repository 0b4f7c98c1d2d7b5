import Foundation
import Testing
import TapedeckCore
@testable import TapedeckServer

/// The viewer half of "who may watch what", over every combination of the facts it depends on.
@Suite("Recording access decision")
struct RecordingAccessDecisionTests {
    typealias Facts = RecordingAccess.ViewerFacts
    static let orgA = UUID()
    static let orgB = UUID()

    /// Every combination: deleted or not, each session role, room of no/A's organization under
    /// each rule and global-secret setting, token of the global secret or of A or B with each role.
    static var cases: [Facts] {
        var all: [Facts] = []
        let rooms: [Facts.RoomOrganization?] = [nil] + OrganizationAccessRule.allCases.flatMap { rule in
            [true, false].map { Facts.RoomOrganization(id: orgA, rule: rule, allowsGlobalSecret: $0) }
        }
        let viewers: [ViewerOrganization?] = [nil] + [orgA, orgB].flatMap { id in
            OrganizationRole.allCases.map { ViewerOrganization(id: id, role: $0) }
        }
        for deleted in [false, true] {
            for sessionRole in [nil, RecordingAccess.Role.host, .participant] {
                for room in rooms {
                    for viewer in viewers {
                        all.append(Facts(deleted: deleted, sessionRole: sessionRole, room: room, viewer: viewer))
                    }
                }
            }
        }
        return all
    }

    @Test("invariants hold for every combination")
    func invariants() {
        #expect(Self.cases.count == 2 * 3 * 7 * 5)
        for facts in Self.cases {
            let role = RecordingAccess.decide(facts)
            // Never more than viewing or hosting; never admin.
            #expect(role != .admin)
            // Deleted recordings are nobody's.
            if facts.deleted { #expect(role == nil) }
            // A token of one organization never sees another organization's or nobody's rooms.
            if let viewer = facts.viewer, facts.room?.id != viewer.id { #expect(role == nil, "\(facts)") }
            // The global secret sees an organization's room only when it allows it.
            if facts.viewer == nil, let room = facts.room, !room.allowsGlobalSecret { #expect(role == nil, "\(facts)") }
            // Host power comes only from hosting the session.
            if role == .host { #expect(facts.sessionRole == .host) }
            // Someone who took part, whose token speaks for the room, keeps their role (today's behaviour).
            let tokenSpeaks =
                switch (facts.room, facts.viewer) {
                case (nil, nil): true
                case (nil, .some): false
                case (.some(let room), nil): room.allowsGlobalSecret
                case (.some(let room), .some(let viewer)): room.id == viewer.id
                }
            if !facts.deleted, tokenSpeaks, let sessionRole = facts.sessionRole { #expect(role == sessionRole, "\(facts)") }
            // Without taking part: only members under `members`, only admins under `admins`, nobody under `participants`.
            if !facts.deleted, tokenSpeaks, facts.sessionRole == nil {
                let expected: RecordingAccess.Role? =
                    switch facts.room?.rule {
                    case .members?: facts.viewer != nil ? .member : nil
                    case .admins?: facts.viewer?.role == .admin ? .member : nil
                    default: nil
                    }
                #expect(role == expected, "\(facts)")
            }
        }
    }

    @Test("today's behaviour without organizations")
    func withoutOrganizations() {
        #expect(RecordingAccess.decide(Facts(deleted: false, sessionRole: .host, room: nil, viewer: nil)) == .host)
        #expect(RecordingAccess.decide(Facts(deleted: false, sessionRole: .participant, room: nil, viewer: nil)) == .participant)
        #expect(RecordingAccess.decide(Facts(deleted: false, sessionRole: nil, room: nil, viewer: nil)) == nil)
    }
}
