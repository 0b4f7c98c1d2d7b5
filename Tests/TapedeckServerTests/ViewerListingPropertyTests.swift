import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport
@testable import TapedeckServer

/// Generated catalogs (organizations with random rules, rooms in and out of them, sessions with
/// random participants, recordings in every state, invitations, transcripts) and every kind of
/// viewer token: what a viewer's listings and search return is exactly what
/// ``RecordingAccess/decide(_:)`` lets them watch, a page at a time with full pages, and never a
/// recording of another organization or of a session they had no part in unless their
/// organization's rule gives it to them.
@Suite("Viewer listings follow the access rule")
struct ViewerListingPropertyTests {
    struct World {
        var organizations: [Organization] = []
        var rooms: [Room] = []
        var recordings: [Recording] = []
        /// Who took part in each session.
        var participants: [UUID: Set<String>] = [:]
        /// Recordings with a transcript containing the searched words.
        var transcribed: Set<UUID> = []
        var invitedRooms: [String: Set<UUID>] = [:]
        var invitedRecordings: [String: Set<UUID>] = [:]
    }

    struct Viewer: CustomStringConvertible {
        var identity: String
        var organization: ViewerOrganization?
        var email: String?
        var description: String { "\(identity.debugDescription) \(organization.map { "\($0.id) \($0.role)" } ?? "global") \(email ?? "-")" }
    }

    static let emails = ["ada@example.com", "bo@example.com", "cy@example.org"]

    /// The hostile strings both catalogs can hold as text (PostgreSQL's text has no NUL).
    static let hostile = HostileStrings.all.filter { !$0.unicodeScalars.contains("\0") }

    static func identities(_ random: inout SeededRandom) -> [String] {
        ["ada", "bo", "cy"] + (0..<2).map { _ in Self.hostile.randomElement(using: &random)! }
    }

    static func build(_ catalog: Catalog, clock: ManualClock, identities: [String], random: inout SeededRandom) async throws -> World {
        var world = World()
        for index in 0..<Int.random(in: 1...3, using: &random) {
            let organization = try #require(
                try await catalog.pool.organizations.create(
                    slug: "org\(index)", name: Self.hostile.randomElement(using: &random)!,
                    accessRule: OrganizationAccessRule.allCases.randomElement(using: &random)!,
                    allowGlobalViewerSecret: Bool.random(using: &random), retainDays: nil, viewerSecretKid: "kid\(index)",
                    viewerSecretSealed: "sealed"))
            world.organizations.append(organization)
        }
        for index in 0..<Int.random(in: 3...6, using: &random) {
            let name = Bool.random(using: &random) ? "room-\(index)" : Self.hostile.randomElement(using: &random)! + "-\(index)"
            let organizationID = Int.random(in: 0...3, using: &random) == 0 ? nil : world.organizations.randomElement(using: &random)?.id
            world.rooms.append(try #require(try await catalog.pool.rooms.create(name: name, provider: "livekit", organizationID: organizationID)))
        }
        let statuses: [RecordingStatus] = [.ready, .ready, .ready, .failed, .aborted, .processing, .deleted]
        for _ in 0..<Int.random(in: 8...24, using: &random) {
            let room = world.rooms.randomElement(using: &random)!
            var sessionID: UUID?
            if Int.random(in: 0...5, using: &random) > 0 {
                let session = try await catalog.pool.sessions.create(
                    roomID: room.id, roomName: room.name, providerSessionID: "RM_\(RandomToken.base62(length: 8))",
                    startedAt: clock.now())
                sessionID = session.id
                var took: Set<String> = []
                for identity in identities where Int.random(in: 0...2, using: &random) == 0 {
                    try await catalog.pool.participants.join(
                        sessionID: session.id, identity: identity, name: nil, isHost: Bool.random(using: &random), at: clock.now())
                    took.insert(identity)
                }
                world.participants[session.id] = took
            }
            let id = UUID()
            let status = statuses.randomElement(using: &random)!
            let recording = try await catalog.pool.recordings.insert(
                NewRecording(
                    id: id, roomID: room.id, sessionID: sessionID, provider: "livekit",
                    title: Bool.random(using: &random) ? Self.hostile.randomElement(using: &random)! : nil, status: status,
                    storage: "local", keyPrefix: "k/\(id.uuidString.lowercased())/"))
            world.recordings.append(recording)
            // Ties in created_at too, so paging must break them by id.
            if Bool.random(using: &random) { clock.advance(by: 0.5) }
            if status == .ready, Int.random(in: 0...3, using: &random) > 0 {
                let cue = NewCue(
                    key: "c-\(id)", kind: .captions, language: "en", timing: .wallClock(startAt: 0, endAt: 1000),
                    text: "the lecture notes", source: .live, isFinal: true)
                _ = try await catalog.pool.cues.upsert(
                    cue, at: CuePlacement(sessionID: sessionID, recordingID: id, startMs: 0, endMs: 1000),
                    by: CueRepository.Poster(actor: "api_key:test", mayReplaceOthers: true))
                world.transcribed.insert(id)
            }
        }
        // A list is replaced whole: each room's and recording's invitees at once.
        var roomInvitees: [UUID: [Invitee]] = [:]
        var recordingInvitees: [UUID: [Invitee]] = [:]
        for email in emails {
            let rooms = world.rooms.filter { _ in Int.random(in: 0...3, using: &random) == 0 }
            for room in rooms { roomInvitees[room.id, default: []].append(Invitee(email: email)) }
            world.invitedRooms[email] = Set(rooms.map(\.id))
            let recordings = world.recordings.filter { _ in Int.random(in: 0...4, using: &random) == 0 }
            for recording in recordings { recordingInvitees[recording.id, default: []].append(Invitee(email: email)) }
            world.invitedRecordings[email] = Set(recordings.map(\.id))
        }
        for (room, invitees) in roomInvitees { try await catalog.pool.invitees.replace(.room(room), with: invitees) }
        for (recording, invitees) in recordingInvitees { try await catalog.pool.invitees.replace(.recording(recording), with: invitees) }
        return world
    }

    static func viewers(_ world: World, identities: [String]) -> [Viewer] {
        var viewers: [Viewer] = []
        for identity in identities {
            let tokens: [ViewerOrganization?] = [nil] + world.organizations.flatMap { organization in
                OrganizationRole.allCases.map { ViewerOrganization(id: organization.id, role: $0) }
            }
            for token in tokens {
                viewers.append(Viewer(identity: identity, organization: token, email: emails.randomElement()))
            }
        }
        return viewers
    }

    /// Every page of `/v1/me/recordings`' query, `limit` rows at a time.
    static func pages(_ catalog: Catalog, _ reach: ViewerReach, limit: Int) async throws -> [[Recording]] {
        var pages: [[Recording]] = []
        var position: RecordingPosition?
        var filter = RecordingFilter()
        filter.viewer = reach
        while true {
            let rows = try await catalog.pool.recordings.list(filter: filter, after: position, limit: limit + 1)
            let page = Array(rows.prefix(limit))
            pages.append(page)
            guard rows.count > limit, let last = page.last else { return pages }
            position = RecordingPosition(createdAt: last.createdAt.millisecondsSince1970, id: last.id)
        }
    }

    @Test("listed == what mayWatch allows, with full pages, for generated catalogs and viewers", arguments: TestDatabase.all)
    func listedIsWatchable(database: TestDatabase) async throws {
        for seed in UInt64(1)...6 {
            var random = SeededRandom(seed: seed)
            let clock = ManualClock()
            try await withTestCatalog(database, clock: clock) { catalog in
                let identities = Self.identities(&random)
                let world = try await Self.build(catalog, clock: clock, identities: identities, random: &random)
                let order = world.recordings.sorted { ($0.createdAt, $0.id.uuidString) > ($1.createdAt, $1.id.uuidString) }
                for viewer in Self.viewers(world, identities: identities) {
                    try await Self.check(viewer, world: world, order: order, catalog: catalog, seed: seed)
                }
            }
        }
    }

    static func check(_ viewer: Viewer, world: World, order: [Recording], catalog: Catalog, seed: UInt64) async throws {
        let context = "seed \(seed), viewer \(viewer)"
        var expected: [UUID] = []
        for recording in order
        where try await RecordingAccess.mayWatch(recording, identity: viewer.identity, organization: viewer.organization, catalog: catalog) {
            expected.append(recording.id)
        }
        let reach = try await RecordingAccess.reach(identity: viewer.identity, organization: viewer.organization, catalog: catalog)

        // The API's list: every watchable recording once, newest first, every page but the last full.
        let limit = 3
        let pages = try await Self.pages(catalog, reach, limit: limit)
        #expect(pages.flatMap { $0 }.map(\.id) == expected, "\(context)")
        #expect(pages.dropLast().allSatisfy { $0.count == limit }, "\(context)")

        // Nobody sees another organization's recordings or others' sessions beyond their rule.
        for id in expected {
            let recording = try #require(world.recordings.first { $0.id == id })
            let room = try #require(world.rooms.first { $0.id == recording.roomID })
            let organization = world.organizations.first { $0.id == room.organizationID }
            let took = recording.sessionID.map { world.participants[$0]?.contains(viewer.identity) ?? false } ?? false
            #expect(recording.status != .deleted, "\(context)")
            if let token = viewer.organization {
                #expect(room.organizationID == token.id, "\(context)")
                let whole = organization?.accessRule == .members || (organization?.accessRule == .admins && token.role == .admin)
                #expect(took || whole, "\(context)")
            } else {
                #expect(room.organizationID == nil || organization?.allowGlobalViewerSecret == true, "\(context)")
                #expect(took, "\(context)")
            }
        }

        // The viewer's own page: the same, plus what their address was invited to in rooms their
        // token speaks for, each marked by whether the player opens it.
        var invited: Set<UUID> = []
        if let email = viewer.email {
            for recording in order where recording.status != .deleted {
                guard world.invitedRooms[email]?.contains(recording.roomID) == true
                    || world.invitedRecordings[email]?.contains(recording.id) == true,
                    let room = world.rooms.first(where: { $0.id == recording.roomID }),
                    try await RecordingAccess.tokenCovers(room, organization: viewer.organization, catalog: catalog)
                else { continue }
                invited.insert(recording.id)
            }
        }
        let page = try await catalog.pool.recordings.visibleToViewer(
            try await RecordingAccess.reach(
                identity: viewer.identity, organization: viewer.organization, invitedEmail: viewer.email, catalog: catalog),
            search: nil, limit: 1000)
        let shown = order.map(\.id).filter { expected.contains($0) || invited.contains($0) }
        #expect(page.map(\.recording.id) == shown, "\(context)")
        #expect(page.filter(\.watchable).map(\.recording.id) == expected, "\(context)")

        // Search: what they may watch that is ready and has the words, every page full but the last.
        var search = CueSearch(text: "lecture notes")
        search.viewer = reach
        var found: [UUID] = []
        var offset = 0
        while true {
            let results = try await catalog.pool.cues.search(search, offset: offset, limit: limit + 1)
            let page = results.prefix(limit).map(\.recordingID)
            found += page
            if results.count <= limit { break }
            #expect(page.count == limit, "\(context)")
            offset += limit
        }
        let searchable = Set(expected.filter { id in world.transcribed.contains(id) })
        #expect(Set(found) == searchable && found.count == searchable.count, "\(context)")
    }
}
