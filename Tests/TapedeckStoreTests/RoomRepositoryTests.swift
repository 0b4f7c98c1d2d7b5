import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

/// A room belongs to its provider: the same name on two providers is two rooms.
@Suite("Room repository")
struct RoomRepositoryTests {
    static let name = HostileStrings.all.first { $0.contains("room/with") } ?? "room/with/slashes"

    @Test("a name on two providers is two rooms, each with its own policy", arguments: TestDatabase.all)
    func twoRooms(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let livekit = try await catalog.pool.rooms.findOrCreate(name: Self.name, provider: "livekit")
            let hms = try await catalog.pool.rooms.findOrCreate(name: Self.name, provider: "100ms")
            #expect(livekit.id != hms.id && livekit.provider == "livekit" && hms.provider == "100ms")
            #expect(try await catalog.pool.rooms.findOrCreate(name: Self.name, provider: "livekit") == livekit)
            #expect(try await catalog.pool.rooms.find(name: Self.name, provider: "100ms") == hms)
            #expect(try await catalog.pool.rooms.find(name: Self.name, provider: "local") == nil)
            #expect(try await catalog.pool.rooms.all(named: Self.name).map(\.id) == [hms.id, livekit.id])
            #expect(try await catalog.pool.rooms.all(named: "other").isEmpty)

            _ = try await catalog.pool.rooms.setPolicy(name: Self.name, provider: "100ms", policyJSON: #"{"start":"manual"}"#)
            #expect(try await catalog.pool.rooms.find(id: hms.id)?.policyJSON == #"{"start":"manual"}"#)
            #expect(try await catalog.pool.rooms.find(id: livekit.id)?.policyJSON == nil)
        }
    }

    @Test("a listing by room name has both providers' recordings of it", arguments: TestDatabase.all)
    func listingByName(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let fromLiveKit = try await Fixtures.recording(catalog, room: Self.name, provider: "livekit")
            let fromHMS = try await Fixtures.recording(catalog, room: Self.name, provider: "100ms")
            _ = try await Fixtures.recording(catalog, room: "elsewhere", provider: "livekit")
            #expect(fromLiveKit.roomID != fromHMS.roomID)
            let listed = try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: Self.name), after: nil, limit: 10)
            #expect(Set(listed.map(\.id)) == [fromLiveKit.id, fromHMS.id])
            #expect(Set(listed.map(\.provider)) == ["livekit", "100ms"] && listed.allSatisfy { $0.roomName == Self.name })
            #expect(try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: "nowhere"), after: nil, limit: 10).isEmpty)
        }
    }

    @Test("a provider's session id and open sessions are its own room's", arguments: TestDatabase.all)
    func sessionsStayInTheirRoom(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let livekit = try await catalog.pool.rooms.findOrCreate(name: Self.name, provider: "livekit")
            let hms = try await catalog.pool.rooms.findOrCreate(name: Self.name, provider: "100ms")
            let now = catalog.clock.now()
            let ofLiveKit = try await catalog.pool.sessions.create(roomID: livekit.id, roomName: Self.name, providerSessionID: "S1", startedAt: now)
            let ofHMS = try await catalog.pool.sessions.create(roomID: hms.id, roomName: Self.name, providerSessionID: "S1", startedAt: now)
            #expect(ofLiveKit.key != ofHMS.key)
            #expect(try await catalog.pool.sessions.find(providerSessionID: "S1", roomID: livekit.id) == ofLiveKit)
            #expect(try await catalog.pool.sessions.find(providerSessionID: "S1", roomID: hms.id) == ofHMS)
            let later = now.addingTimeInterval(60)
            #expect(try await catalog.pool.sessions.openSessions(provider: "livekit", startedBefore: later, limit: 10).map(\.0) == [ofLiveKit])
            #expect(try await catalog.pool.sessions.openSessions(provider: "100ms", startedBefore: later, limit: 10).map(\.0) == [ofHMS])
        }
    }
}
