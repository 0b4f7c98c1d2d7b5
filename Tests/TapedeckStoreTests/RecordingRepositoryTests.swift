import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Recording repository")
struct RecordingRepositoryTests {
    @Test("insert and find with assets", arguments: TestDatabase.all)
    func insertAndFind(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(
                catalog, room: "math-101", assets: [(.hls, "index.m3u8"), (.mp4, "session.mp4")])
            let found = try #require(try await catalog.pool.recordings.find(id: recording.id))
            #expect(found.roomName == "math-101")
            #expect(found.sessionKey?.hasPrefix("math-101_2026-01-01_00-00-00") == true)
            #expect(found.status == .ready)
            #expect(found.assets.map(\.kind) == [.hls, .mp4])
            #expect(found.createdAt == ManualClock().now())
            #expect(try await catalog.pool.recordings.find(id: UUID()) == nil)
        }
    }

    @Test("keyset pages cover every row once, newest first, with filters", arguments: TestDatabase.all)
    func pagination(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            // setup: 25 recordings in two rooms, some sharing a timestamp (the id breaks ties).
            var created: [Recording] = []
            for index in 0..<25 {
                if index % 3 != 0 { clock.advance(by: 1) }
                created.append(
                    try await Fixtures.recording(
                        catalog, room: index % 2 == 0 ? "a" : "b", status: index % 5 == 0 ? .failed : .ready))
            }
            let deleted = try await Fixtures.recording(catalog, room: "a", status: .deleted)

            // action: page through each filter 4 rows at a time
            func collect(_ filter: RecordingFilter) async throws -> [UUID] {
                var seen: [UUID] = []
                var position: RecordingPosition?
                while true {
                    let page = try await catalog.pool.recordings.list(filter: filter, after: position, limit: 4)
                    seen += page.map(\.id)
                    guard page.count == 4, let last = page.last else { break }
                    position = RecordingPosition(createdAt: last.createdAt.millisecondsSince1970, id: last.id)
                }
                return seen
            }

            // check: same rows as a direct sort, no duplicates, deleted hidden unless asked for.
            func expected(_ keep: (Recording) -> Bool) -> [UUID] {
                created.filter(keep).sorted {
                    ($0.createdAt, $0.id.uuidString) > ($1.createdAt, $1.id.uuidString)
                }.map(\.id)
            }
            let all = try await collect(RecordingFilter())
            #expect(Set(all).count == all.count)
            #expect(Set(all) == Set(created.map(\.id)))
            #expect(try await collect(RecordingFilter(roomName: "a")).count == 13)
            #expect(Set(try await collect(RecordingFilter(roomName: "b"))) == Set(expected { $0.roomName == "b" }))
            #expect(Set(try await collect(RecordingFilter(status: .failed))) == Set(expected { $0.status == .failed }))
            #expect(try await collect(RecordingFilter(status: .deleted)) == [deleted.id])
            #expect(try await collect(RecordingFilter(roomName: "nowhere")).isEmpty)
            // Newest first by creation time.
            let times = try await catalog.pool.recordings.list(filter: RecordingFilter(), after: nil, limit: 100)
                .map(\.createdAt)
            #expect(times == times.sorted(by: >))
        }
    }

    @Test("transitions are monotonic and audited", arguments: TestDatabase.all)
    func transitions(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, status: .starting)
            let id = recording.id
            func move(_ to: RecordingStatus, _ changes: RecordingChanges = .init()) async throws -> TransitionOutcome {
                try await catalog.transaction { tx in
                    try await tx.recordings.transition(id, to: to, actor: "test", cause: "unit test", changes: changes)
                }
            }
            #expect(try await move(.recording) == .applied(from: .starting, to: .recording))
            #expect(try await move(.recording) == .ignored(current: .recording, reason: "already recording"))
            #expect(try await move(.starting) == .ignored(current: .recording, reason: "stale: starting is behind recording"))
            #expect(
                try await move(.ready, RecordingChanges(durationMs: 61_000, sizeBytes: 42, limitReached: true))
                    == .applied(from: .recording, to: .ready))
            guard case .rejected = try await move(.failed) else {
                Issue.record("failing a ready recording must be refused")
                return
            }
            #expect(try await catalog.transaction { tx in
                try await tx.recordings.transition(UUID(), to: .ready, actor: "t", cause: "t")
            } == .notFound)

            let stored = try #require(try await catalog.pool.recordings.find(id: id))
            #expect(stored.status == .ready)
            #expect(stored.durationMs == 61_000)
            #expect(stored.sizeBytes == 42)
            #expect(stored.limitReached)

            let events = try await catalog.pool.events.list(recordingID: id, afterID: nil, limit: 100)
            #expect(events.map(\.type) == ["recording.created", "recording.recording", "recording.ready"])
            #expect(events[1].dataJSON == #"{"cause":"unit test","from":"starting","to":"recording"}"#)
            #expect(events[1].actor == "test")
        }
    }

    @Test("the database refuses a second active recording in a room", arguments: TestDatabase.all)
    func oneActivePerRoom(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let first = try await Fixtures.recording(catalog, room: "r", status: .recording)
            await #expect(throws: (any Error).self) {
                try await Fixtures.recording(catalog, room: "r", status: .starting)
            }
            // Finished recordings do not count: another may start after the first ends.
            _ = try await Fixtures.recording(catalog, room: "r", status: .ready)
            _ = try await catalog.transaction { tx in
                try await tx.recordings.transition(first.id, to: .processing, actor: "t", cause: "ended")
            }
            _ = try await Fixtures.recording(catalog, room: "r", status: .starting)
            // Other rooms are independent.
            _ = try await Fixtures.recording(catalog, room: "s", status: .recording)
        }
    }

    @Test("a failed transaction writes nothing", arguments: TestDatabase.all)
    func rollback(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, status: .recording)
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await catalog.transaction { tx in
                    _ = try await tx.recordings.transition(recording.id, to: .stopping, actor: "t", cause: "t")
                    throw Boom()
                }
            }
            #expect(try await catalog.pool.recordings.find(id: recording.id)?.status == .recording)
            let events = try await catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 10)
            #expect(events.map(\.type) == ["recording.created"])
        }
    }

    @Test("session keys stay unique within one second", arguments: TestDatabase.all)
    func sessionKeys(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let room = try await catalog.pool.rooms.findOrCreate(name: "r", provider: "livekit")
            var keys: [String] = []
            for _ in 0..<3 {
                keys.append(
                    try await catalog.pool.sessions.create(
                        roomID: room.id, roomName: "r", providerSessionID: nil, startedAt: catalog.clock.now()
                    ).key)
            }
            #expect(keys == ["r_2026-01-01_00-00-00", "r_2026-01-01_00-00-00_2", "r_2026-01-01_00-00-00_3"])
        }
    }

    @Test("assets upsert by key", arguments: TestDatabase.all)
    func assetUpsert(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let asset = NewAsset(recordingID: recording.id, kind: .mp4, key: "k/session.mp4", contentType: "video/mp4")
            let first = try await catalog.pool.assets.upsert(asset)
            var changed = asset
            changed.sizeBytes = 99
            let second = try await catalog.pool.assets.upsert(changed)
            #expect(first.id == second.id)
            #expect(second.sizeBytes == 99)
            #expect(try await catalog.pool.assets.list(recordingID: recording.id).count == 1)
        }
    }

    @Test("an asset kind from a newer release is skipped, not an error", arguments: TestDatabase.all)
    func unknownAssetKind(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            try await catalog.pool.assets.upsert(
                NewAsset(recordingID: recording.id, kind: .mp4, key: "k/session.mp4", contentType: "video/mp4"))
            try await catalog.pool.assets.upsert(
                NewAsset(recordingID: recording.id, kind: .mp4, key: "k/slides.pdf", contentType: "application/pdf"))
            try await catalog.pool.sql.raw("UPDATE assets SET kind = 'slides' WHERE key = 'k/slides.pdf'").run()
            #expect(try await catalog.pool.assets.list(recordingID: recording.id).map(\.key) == ["k/session.mp4"])
            #expect(try await catalog.pool.assets.list(recordingIDs: [recording.id])[recording.id]?.map(\.key) == ["k/session.mp4"])
            #expect(try await catalog.pool.recordings.find(id: recording.id)?.assets.map(\.key) == ["k/session.mp4"])
            // A listing joins the assets in its statement: the same rule, and a recording whose
            // only asset is of an unknown kind is listed with none.
            let other = try await Fixtures.recording(catalog, room: "other")
            try await catalog.pool.assets.upsert(
                NewAsset(recordingID: other.id, kind: .mp4, key: "o/notes.txt", contentType: "text/plain"))
            try await catalog.pool.sql.raw("UPDATE assets SET kind = 'notes' WHERE key = 'o/notes.txt'").run()
            for room in [nil, "standup", "other"] {
                let listed = try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: room), after: nil, limit: 10)
                let byID = Dictionary(uniqueKeysWithValues: listed.map { ($0.id, $0.assets.map(\.key)) })
                #expect(byID[recording.id] == (room == "other" ? nil : ["k/session.mp4"]))
                #expect(byID[other.id] == (room == "standup" ? nil : []))
            }
        }
    }
}

@Suite("Recording listings by room, generated")
struct RoomListingTests {
    @Test("every hostile string as a room's name: the filter finds that room's recording and no other", arguments: TestDatabase.all)
    func hostileNames(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            // PostgreSQL's text cannot hold NUL; the API refuses control characters before this.
            let names = Array(Set(HostileStrings.all.map { $0.replacingOccurrences(of: "\u{0}", with: "") }.filter { !$0.isEmpty }))
            var made: [String: UUID] = [:]
            for name in names {
                made[name] = try await Fixtures.recording(catalog, room: name, assets: [(.mp4, "session.mp4")]).id
            }
            for name in names {
                let listed = try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: name), after: nil, limit: 5)
                #expect(listed.map(\.id) == [made[name]!], "room \(name.debugDescription)")
                #expect(listed.first?.roomName == name && listed.first?.assets.count == 1)
            }
        }
    }

    @Test("every provider's room of that name, newest first, pages neither skipping nor repeating", arguments: TestDatabase.all)
    func generated(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            var random = SeededRandom(seed: 0x1A7E_2A1)
            let rooms = ["math", "Math", "math ", "art"]
            var made: [(id: UUID, room: String, status: RecordingStatus)] = []
            for _ in 0..<90 {
                let room = rooms.randomElement(using: &random)!
                let provider = Bool.random(using: &random) ? "livekit" : "hms"
                let status: RecordingStatus = [.ready, .ready, .failed, .deleted].randomElement(using: &random)!
                let assets: [(AssetKind, String)] = [[], [(.mp4, "session.mp4")], [(.mp4, "session.mp4"), (.hls, "index.m3u8")]]
                    .randomElement(using: &random)!
                let recording = try await Fixtures.recording(catalog, room: room, status: status, provider: provider, assets: assets)
                made.append((recording.id, room, status))
                // Ties in created_at are frequent: the id breaks them.
                clock.advance(by: Double(Int.random(in: 0...1, using: &random)) / 1000)
            }
            let all = try await catalog.pool.recordings.list(filter: RecordingFilter(), after: nil, limit: 1000)
            let order = all.map(\.id)
            for room in rooms + ["nobody", "math'--"] {
                for status in [nil, RecordingStatus.failed] {
                    let expected = order.filter { id in
                        let row = made.first { $0.id == id }!
                        return row.room == room && (status.map { row.status == $0 } ?? (row.status != .deleted))
                    }
                    let limit = Int.random(in: 1...7, using: &random)
                    var listed: [UUID] = []
                    var position: RecordingPosition?
                    while true {
                        let page = try await catalog.pool.recordings.list(
                            filter: RecordingFilter(roomName: room, status: status), after: position, limit: limit)
                        #expect(page.count <= limit)
                        #expect(page.allSatisfy { $0.roomName == room })
                        for listed in page {
                            #expect(listed.assets == (try await catalog.pool.recordings.find(id: listed.id))?.assets)
                        }
                        listed += page.map(\.id)
                        guard page.count == limit, let last = page.last else { break }
                        position = RecordingPosition(createdAt: last.createdAt.millisecondsSince1970, id: last.id)
                    }
                    #expect(listed == expected, "room \(room), status \(String(describing: status)), pages of \(limit)")
                }
            }
            #expect(made.contains { $0.room == "math" && $0.status == .failed }, "the catalog has something to find")
        }
    }
}
