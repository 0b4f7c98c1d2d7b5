import Foundation
import SQLKit
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

/// The statements every webhook runs, which PostgreSQL keeps prepared on each connection (in a
/// transaction and out of one), answer as a model of the sessions and of who is present says:
/// generated sequences of sessions, joins and leaves, with hostile room names, session ids and
/// identities, checked after every step in a transaction and on the pool.
@Suite("Webhook reads")
struct WebhookReadsTests {
    /// As a webhook stores them: cleaned of control characters (a room name with any is never stored).
    static let hostile = HostileStrings.all.map(ProviderText.cleaned)

    /// Who the model says is in each session: identity to whether the last join was as host.
    typealias Present = [UUID: [String: Bool]]

    @Test("a webhook's statements agree with the model", arguments: TestDatabase.all, 0..<6)
    func agreeWithTheModel(database: TestDatabase, seed: UInt64) async throws {
        var random = SeededRandom(seed: 0x5EED_0000 + seed)
        let roomNames = [Self.hostile.randomElement(using: &random)!, Self.hostile.randomElement(using: &random)! + "-2"]
        let sessionIDs = ["RM_1", Self.hostile.randomElement(using: &random)!]
        let identities = (0..<4).map { _ in Self.hostile.randomElement(using: &random)! } + ["host-1"]
        try await withTestCatalog(database) { catalog in
            var rooms: [Room] = []
            for name in roomNames {
                rooms.append(try await catalog.pool.rooms.findOrCreate(name: name, provider: "livekit"))
                // The same name on another provider, whose sessions must never be found.
                let other = try await catalog.pool.rooms.findOrCreate(name: name, provider: "100ms")
                _ = try await catalog.pool.sessions.create(
                    roomID: other.id, roomName: name, providerSessionID: "RM_1", startedAt: catalog.clock.now().addingTimeInterval(9_000))
            }
            // Every column of a room read: one with a policy (the others have none).
            _ = try await catalog.pool.rooms.setPolicy(name: roomNames[0], provider: "livekit", policyJSON: #"{"start":"manual"}"#)
            rooms[0] = try #require(try await catalog.pool.rooms.find(id: rooms[0].id))
            var sessions: [Session] = []
            var present: Present = [:]
            for step in 0..<40 {
                let room = rooms.randomElement(using: &random)!
                switch Int.random(in: 0..<9, using: &random) {
                case 8:
                    // A session ends: its end time is a column the reads return too.
                    guard let index = sessions.indices.randomElement(using: &random) else { continue }
                    try await catalog.pool.sessions.close(sessions[index].id, at: catalog.clock.now())
                    sessions[index] = try #require(try await catalog.pool.sessions.find(id: sessions[index].id))
                case 0, 1:
                    // Distinct start times, earlier or later than the others, so "most recent" is one session.
                    let started = catalog.clock.now().addingTimeInterval(Double(Int.random(in: -60...60, using: &random) * 100 + step))
                    sessions.append(
                        try await catalog.pool.sessions.create(
                            roomID: room.id, roomName: room.name,
                            providerSessionID: sessionIDs.randomElement(using: &random)!, startedAt: started))
                case 6, 7:
                    guard let session = sessions.randomElement(using: &random) else { continue }
                    let identity = identities.randomElement(using: &random)!
                    let wasHost = try await catalog.transaction { tx in
                        try await tx.participants.leave(sessionID: session.id, identity: identity, at: tx.clock.now())
                    }
                    #expect(wasHost == (present[session.id]?[identity] ?? false))
                    present[session.id]?[identity] = nil
                default:
                    guard let session = sessions.randomElement(using: &random) else { continue }
                    let identity = identities.randomElement(using: &random)!
                    let isHost = Bool.random(using: &random)
                    try await catalog.transaction { tx in
                        #expect(try await tx.inboundEvents.firstDelivery(provider: "livekit", eventID: "EV_\(step)\(identity)"))
                        #expect(try await !tx.inboundEvents.firstDelivery(provider: "livekit", eventID: "EV_\(step)\(identity)"))
                        try await tx.participants.join(
                            sessionID: session.id, identity: identity, name: identity, isHost: isHost, at: tx.clock.now())
                    }
                    present[session.id, default: [:]][identity] = isHost
                }
                let (knownRooms, knownSessions, knownPresent) = (rooms, sessions, present)
                try await catalog.transaction { tx in
                    try await Self.check(tx, rooms: knownRooms, sessionIDs: sessionIDs, sessions: knownSessions, present: knownPresent)
                    guard tx.kind == .postgres else { return }
                    // What it just read (the rooms, their sessions, presence) ran prepared on this connection.
                    let held = try await tx.sql.raw(
                        "SELECT COUNT(*) AS n FROM pg_prepared_statements WHERE name LIKE 'tapedeck_%'"
                    ).first()?.decode(column: "n", as: Int.self)
                    #expect((held ?? 0) >= 3)
                }
                try await Self.check(catalog.pool, rooms: rooms, sessionIDs: sessionIDs, sessions: sessions, present: present)
            }
            #expect(try await catalog.pool.rooms.find(name: "no such room", provider: "livekit") == nil)
        }
    }

    @Test("in a transaction, a prepared statement survives a column added; one the server forgot fails once, then runs unnamed", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func preparedInATransaction(database: TestDatabase) async throws {
        try await withTestCatalog(database) { original in
            let room = try await original.pool.rooms.findOrCreate(name: "room-a", provider: "livekit")
            // One connection, so each transaction meets what the one before it prepared.
            let single = try CatalogDatabase.open(original.database.location, maxConnections: 1, logger: TestLogger.make())
            let catalog = Catalog(database: single, clock: ManualClock())
            let find: @Sendable () async throws -> Room? = {
                try await catalog.transaction { tx in try await tx.rooms.find(name: "room-a", provider: "livekit") }
            }
            #expect(try await find() == room)
            // What the next release may do: its columns are named, so the cached plan still fits.
            try await catalog.pool.sql.raw("ALTER TABLE rooms ADD COLUMN added_later text").run()
            #expect(try await find() == room)
            // The connection forgets what it prepared, while the table says it is prepared.
            try await catalog.pool.sql.raw("DEALLOCATE ALL").run()
            await #expect(throws: (any Error).self) { try await find() }
            #expect(try await find() == room)
            #expect(try await find() == room)
            await single.close()
        }
    }

    static func check(
        _ catalog: CatalogSession, rooms: [Room], sessionIDs: [String], sessions: [Session], present: Present
    ) async throws {
        for room in rooms {
            // Against the model, and against the reads of every column (`*`, through SQLKit).
            #expect(try await catalog.rooms.find(name: room.name, provider: "livekit") == room)
            #expect(try await catalog.rooms.find(id: room.id) == room)
            for sid in sessionIDs {
                let latest = sessions.filter { $0.roomID == room.id && $0.providerSessionID == sid }.max { $0.startedAt < $1.startedAt }
                #expect(try await catalog.sessions.find(providerSessionID: sid, roomID: room.id) == latest)
                if let latest { #expect(try await catalog.sessions.find(id: latest.id) == latest) }
            }
        }
        for session in sessions {
            let people = present[session.id] ?? [:]
            let presence = try await catalog.participants.presence(sessionID: session.id)
            #expect(presence == Presence(people: people.count, hosts: people.values.filter { $0 }.count))
            // One open stay per person: a join while present refreshed the row it had.
            let open = try await catalog.participants.list(sessionID: session.id).filter { $0.leftAt == nil }
            #expect(open.count == people.count && Set(open.map(\.identity)) == Set(people.keys))
            #expect(open.allSatisfy { $0.isHost == people[$0.identity] && $0.name == $0.identity })
        }
    }
}
