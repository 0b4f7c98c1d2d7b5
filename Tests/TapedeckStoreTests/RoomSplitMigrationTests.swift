import Foundation
import SQLKit
import TapedeckCore
import Testing
import TestSupport

@testable import TapedeckStore

/// 0021 makes a room name unique per provider. SQLite rebuilds the table others refer to, so
/// what must hold is that every row, child and reference comes through as it was.
@Suite("Splitting rooms by provider (0021)")
struct RoomSplitMigrationTests {
    static let split = "0021_split_rooms_by_provider"

    /// The chain up to and including 0021: what later migrations do is not this suite's concern.
    static func throughSplit(_ db: CatalogDatabase) -> CatalogMigrator {
        CatalogMigrator(db, migrations: CatalogMigrations.all.filter { $0.name <= split })
    }

    /// A database migrated up to, not including, 0021, and its catalog.
    static func beforeSplit(
        _ database: TestDatabase, _ body: (CatalogDatabase, Catalog) async throws -> Void
    ) async throws {
        let scratch = try await ScratchDatabase.create(database)
        let db = try CatalogDatabase.open(scratch.location, logger: TestLogger.make())
        do {
            try await CatalogMigrator(db, migrations: CatalogMigrations.all.filter { $0.name < split }).apply()
            try await body(db, Catalog(database: db, clock: ManualClock()))
        } catch {
            await db.close()
            await scratch.drop()
            throw error
        }
        await db.close()
        await scratch.drop()
    }

    /// A room as the code before 0021 wrote it (its upsert needs the new uniqueness).
    static func insertRoom(
        _ db: CatalogDatabase, provider: String, name: String, policy: String? = nil, providerRoomID: String? = nil
    ) async throws -> UUID {
        let id = UUID()
        try await db.sql.raw(
            """
            INSERT INTO rooms (id, provider, name, display_name, policy_json, created_at, updated_at, provider_room_id)
            VALUES (\(bind: id), \(bind: provider), \(bind: name), \(bind: "Display " + name), \(bind: policy), 1000, 2000,
                \(bind: providerRoomID))
            """
        ).run()
        return id
    }

    /// A session of the room, with a participant and, when `provider` is given, a recording with an asset.
    static func session(
        _ catalog: Catalog, room: UUID, name: String, provider: String?, identity: String
    ) async throws -> (Session, Recording?) {
        try await catalog.transaction { tx in
            let session = try await tx.sessions.create(
                roomID: room, roomName: name, providerSessionID: "S_\(identity)", startedAt: tx.clock.now())
            try await tx.participants.join(sessionID: session.id, identity: identity, name: nil, isHost: true, at: tx.clock.now())
            guard let provider else { return (session, nil) }
            let id = UUID()
            let prefix = StorageNaming.keyPrefix(room: name, sessionKey: session.key, recordingID: id)
            _ = try await tx.recordings.insert(
                NewRecording(
                    id: id, roomID: room, sessionID: session.id, provider: provider, status: .ready, storage: "local",
                    keyPrefix: prefix))
            try await tx.assets.upsert(
                NewAsset(recordingID: id, kind: .mp4, key: prefix + "session.mp4", contentType: "video/mp4", sizeBytes: 10))
            return (session, try await tx.recordings.find(id: id))
        }
    }

    /// The ids of the rooms of this name, by provider.
    static func rooms(_ db: CatalogDatabase, named name: String) async throws -> [UUID] {
        try await db.sql.raw("SELECT id FROM rooms WHERE name = \(bind: name) ORDER BY provider").all().map { try $0.uuid("id") }
    }

    /// Whether the database still refuses a session of a room that does not exist.
    static func refusesOrphans(_ catalog: Catalog) async -> Bool {
        do {
            _ = try await catalog.pool.sessions.create(
                roomID: UUID(), roomName: "nowhere", providerSessionID: nil, startedAt: catalog.clock.now())
            return false
        } catch {
            return true
        }
    }

    static let hostileName = HostileStrings.all.first { $0.contains("DROP TABLE") } ?? "'; DROP TABLE recordings; --"

    @Test("rows, children and references survive; a shared room LiveKit used becomes LiveKit's", arguments: TestDatabase.all)
    func survives(database: TestDatabase) async throws {
        try await Self.beforeSplit(database) { db, catalog in
            // setup: a LiveKit room with a policy and a recorded session; a room the local recorder
            // made and LiveKit then used (a session with no local recording); a local room.
            let name = Self.hostileName
            let livekit = try await Self.insertRoom(db, provider: "livekit", name: name, policy: #"{"start":"manual"}"#)
            let shared = try await Self.insertRoom(db, provider: "local", name: "shared", providerRoomID: "unused")
            let local = try await Self.insertRoom(db, provider: "local", name: "studio")
            let rooms = try await [livekit, shared, local].asyncMap { try #require(try await catalog.pool.rooms.find(id: $0)) }
            let seeded = [
                try await Self.session(catalog, room: livekit, name: name, provider: "livekit", identity: "ada"),
                try await Self.session(catalog, room: shared, name: "shared", provider: "local", identity: "bob"),
                try await Self.session(catalog, room: shared, name: "shared", provider: nil, identity: "cy"),
                try await Self.session(catalog, room: local, name: "studio", provider: "local", identity: "dee"),
            ]
            let participants = try await seeded.asyncMap { try await catalog.pool.participants.list(sessionID: $0.0.id) }

            // action
            let applied = try await Self.throughSplit(db).apply()

            // check
            #expect(applied == [Self.split])
            var relabelled = rooms[1]
            relabelled.provider = "livekit"
            #expect(try await [livekit, shared, local].asyncMap { try await catalog.pool.rooms.find(id: $0) } == [rooms[0], relabelled, rooms[2]])
            for ((session, recording), people) in zip(seeded, participants) {
                #expect(try await catalog.pool.sessions.find(id: session.id) == session)
                #expect(try await catalog.pool.participants.list(sessionID: session.id) == people)
                if let recording {
                    #expect(try await catalog.pool.recordings.find(id: recording.id) == recording)
                }
            }
            #expect(try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: name), after: nil, limit: 10).map(\.id)
                == [try #require(seeded[0].1).id])
            // The references are still enforced, and point at the new table.
            #expect(await Self.refusesOrphans(catalog))
            await #expect(throws: (any Error).self) { try await db.sql.raw("DELETE FROM rooms WHERE id = \(bind: livekit)").run() }
            if database.description == "sqlite" {
                #expect(try await db.sql.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self) == 1)
                #expect(try await db.sql.raw("PRAGMA foreign_key_check").all().isEmpty)
            }
        }
    }

    @Test("a name is one room per provider; reverting needs the names unique again", arguments: TestDatabase.all)
    func revert(database: TestDatabase) async throws {
        try await Self.beforeSplit(database) { db, catalog in
            // setup: a LiveKit room with a session, split, and the same name on 100ms.
            let name = Self.hostileName
            let livekit = try await Self.insertRoom(db, provider: "livekit", name: name)
            let (session, _) = try await Self.session(catalog, room: livekit, name: name, provider: nil, identity: "ada")
            try await Self.throughSplit(db).apply()
            let hms = try await Self.insertRoom(db, provider: "100ms", name: name)
            await #expect(throws: (any Error).self) { _ = try await Self.insertRoom(db, provider: "livekit", name: name) }
            await #expect(throws: (any Error).self) { _ = try await Self.insertRoom(db, provider: "100ms", name: name) }

            // action and check: the revert refuses while two rooms share the name, changing nothing.
            let refused = await #expect(throws: CatalogDataError.self) { try await Self.throughSplit(db).revertLastBatch() }
            #expect(refused?.description.contains("used by more than one provider") == true)
            #expect(try await Self.throughSplit(db).status().first { $0.name == Self.split }?.isApplied == true)
            #expect(try await Self.rooms(db, named: name) == [hms, livekit])

            // Without the second room it reverts: one room per name again, references intact.
            try await db.sql.raw("DELETE FROM rooms WHERE id = \(bind: hms)").run()
            #expect(try await Self.throughSplit(db).revertLastBatch() == [Self.split])
            #expect(try await Self.throughSplit(db).status().first { $0.name == Self.split }?.isApplied == false)
            await #expect(throws: (any Error).self) { _ = try await Self.insertRoom(db, provider: "100ms", name: name) }
            #expect(try await catalog.pool.sessions.find(id: session.id) == session)
            #expect(await Self.refusesOrphans(catalog))
            if database.description == "sqlite" {
                #expect(try await db.sql.raw("PRAGMA foreign_key_check").all().isEmpty)
            }

            // And applies again.
            #expect(try await Self.throughSplit(db).apply() == [Self.split])
            _ = try await Self.insertRoom(db, provider: "100ms", name: name)
            #expect(try await Self.rooms(db, named: name).count == 2)
        }
    }

    @Test("the SQLite rebuild refuses a rooms table with a column it would lose")
    func refusesUnknownColumns() async throws {
        try await Self.beforeSplit(.sqlite) { db, catalog in
            try await db.sql.raw("ALTER TABLE rooms ADD COLUMN organization_id TEXT").run()
            let room = try await Self.insertRoom(db, provider: "livekit", name: "kept")
            await #expect(throws: CatalogDataError.self) { try await Self.throughSplit(db).apply() }
            #expect(try await catalog.pool.rooms.find(id: room)?.name == "kept", "rolled back whole")
            #expect(try await db.sql.raw("PRAGMA foreign_keys").first()?.decode(column: "foreign_keys", as: Int.self) == 1)
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
