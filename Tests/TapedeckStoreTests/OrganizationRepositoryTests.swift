import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Organization repository")
struct OrganizationRepositoryTests {
    static func create(_ catalog: Catalog, slug: String, name: String = "Org", kid: String? = nil) async throws -> Organization? {
        try await catalog.pool.organizations.create(
            slug: slug, name: name, accessRule: .participants, allowGlobalViewerSecret: false, retainDays: nil,
            viewerSecretKid: kid ?? "kid-\(slug)", viewerSecretSealed: "sealed-\(slug)")
    }

    @Test("create, find, update, duplicate slug; hostile names are stored as given", arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: ManualClock()) { catalog in
            // The API refuses control characters in names (SQLite would cut text at NUL): the rest as given.
            let names = HostileStrings.all.filter { !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }
            for (index, hostile) in names.enumerated() {
                let slug = "org\(index)"
                let created = try #require(try await Self.create(catalog, slug: slug, name: hostile))
                #expect(created.name == hostile)
                #expect(try await catalog.pool.organizations.find(slug: slug) == created)
                #expect(try await Self.create(catalog, slug: slug) == nil, "a second organization of one slug")
            }
            let first = try #require(try await catalog.pool.organizations.find(slug: "org0"))
            let updated = try #require(
                try await catalog.pool.organizations.update(
                    id: first.id, OrganizationChanges(accessRule: .members, allowGlobalViewerSecret: true, retainDays: .some(30))))
            #expect(updated.accessRule == .members && updated.allowGlobalViewerSecret && updated.retainDays == 30)
            let cleared = try #require(try await catalog.pool.organizations.update(id: first.id, OrganizationChanges(retainDays: .some(nil))))
            #expect(cleared.retainDays == nil && cleared.accessRule == .members)
            #expect(try await catalog.pool.organizations.update(id: UUID(), OrganizationChanges(name: "x")) == nil)
        }
    }

    @Test("rotation: the new secret is current, the earlier ones end with the overlap", arguments: TestDatabase.all)
    func rotation(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let org = try #require(try await Self.create(catalog, slug: "acme", kid: "k1"))
            let repository = catalog.pool.organizations
            #expect(try await repository.viewerSecret(kid: "k1")?.isAccepted(at: clock.now()) == true)
            clock.advance(by: 1)
            let overlapEnd = clock.now().addingTimeInterval(3600)
            try await repository.addViewerSecret(organizationID: org.id, kid: "k2", sealed: "s2", retireOthersAt: overlapEnd)
            let old = try #require(try await repository.viewerSecret(kid: "k1"))
            #expect(old.isAccepted(at: clock.now()) && !old.isAccepted(at: overlapEnd))
            #expect(try await repository.viewerSecret(kid: "k2")?.expiresAt == nil)
            // A second rotation does not extend the first one's overlap.
            clock.advance(by: 60)
            try await repository.addViewerSecret(organizationID: org.id, kid: "k3", sealed: "s3", retireOthersAt: clock.now().addingTimeInterval(7200))
            #expect(try await repository.viewerSecret(kid: "k1")?.expiresAt == overlapEnd)
            #expect(try await repository.viewerSecrets(organizationID: org.id).map(\.kid) == ["k3", "k2", "k1"])
        }
    }

    @Test("rooms: create in an organization, adoption only of new rooms, deletion refused while rooms belong", arguments: TestDatabase.all)
    func rooms(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: ManualClock()) { catalog in
            let acme = try #require(try await Self.create(catalog, slug: "acme"))
            let room = try #require(try await catalog.pool.rooms.create(name: "acme-math", provider: "livekit", organizationID: acme.id))
            #expect(room.organizationID == acme.id)
            #expect(try await catalog.pool.rooms.create(name: "acme-math", provider: "livekit", organizationID: nil) == nil)
            #expect(try await catalog.pool.organizations.delete(id: acme.id) == .hasRooms(1))

            // A new room is adopted by the first candidate that exists.
            let fresh = try await catalog.pool.rooms.findOrCreate(name: "acme-corp-x", provider: "livekit")
            let adopted = try await catalog.pool.rooms.adoptIntoOrganization(fresh, candidates: ["acme-corp", "acme"])
            #expect(adopted.organizationID == acme.id)
            // A room with a session keeps having no organization.
            let old = try await catalog.pool.rooms.findOrCreate(name: "acme-old", provider: "livekit")
            _ = try await catalog.pool.sessions.create(roomID: old.id, roomName: old.name, providerSessionID: nil, startedAt: catalog.clock.now())
            #expect(try await catalog.pool.rooms.adoptIntoOrganization(old, candidates: ["acme"]).organizationID == nil)

            // Detached, the organization can go; its keys are revoked with it.
            let (key, credential) = try await catalog.pool.apiKeys.create(name: "acme backend", organizationID: acme.id)
            #expect(key.organizationID == acme.id)
            for id in [room.id, adopted.id] { try await catalog.pool.rooms.setOrganization(id, nil) }
            #expect(try await catalog.transaction { try await $0.organizations.delete(id: acme.id) } == .deleted)
            #expect(try await catalog.pool.apiKeys.authenticate(credential) == nil)
            #expect(try await catalog.pool.organizations.delete(id: acme.id) == .notFound)
        }
    }

    @Test("recording lists and search filter by organization", arguments: TestDatabase.all)
    func filters(database: TestDatabase) async throws {
        try await withTestCatalog(database, clock: ManualClock()) { catalog in
            let a = try #require(try await Self.create(catalog, slug: "a"))
            let roomA = try #require(try await catalog.pool.rooms.create(name: "a-1", provider: "local", organizationID: a.id))
            let roomNone = try await catalog.pool.rooms.findOrCreate(name: "plain", provider: "local")
            var ids: [UUID: UUID] = [:]
            for room in [roomA, roomNone] {
                let id = UUID()
                _ = try await catalog.pool.recordings.insert(
                    NewRecording(id: id, roomID: room.id, sessionID: nil, provider: "local", status: .ready, storage: "local", keyPrefix: "p/\(id)/"))
                ids[room.id] = id
            }
            var filter = RecordingFilter()
            filter.organizationID = a.id
            #expect(try await catalog.pool.recordings.list(filter: filter, after: nil, limit: 10).map(\.id) == [ids[roomA.id]!])
            #expect(try await catalog.pool.recordings.list(filter: RecordingFilter(), after: nil, limit: 10).count == 2)
            filter.organizationID = UUID()
            #expect(try await catalog.pool.recordings.list(filter: filter, after: nil, limit: 10).isEmpty)
        }
    }
}
