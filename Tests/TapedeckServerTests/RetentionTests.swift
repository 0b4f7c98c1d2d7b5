import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

/// Retention against an injected clock: what is due, what is never touched, what deletion does.
@Suite("Retention")
struct RetentionTests {
    static let day: TimeInterval = 86_400

    @Test("expired recordings go; held, active and keep-forever ones stay", arguments: TestDatabase.all)
    func sweep(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            var dependencies = app.dependencies
            dependencies.defaultPolicy = RecordingPolicy(retainDays: 30)
            let old = try await Fixtures.recording(app.catalog, room: "defaults")
            let short = try await Fixtures.recording(app.catalog, room: "short", assets: [(.mp4, "session.mp4")])
            let forever = try await Fixtures.recording(app.catalog, room: "forever")
            let live = try await Fixtures.recording(app.catalog, room: "live", status: .recording)
            let held = try await Fixtures.recording(app.catalog, room: "held")
            for (room, body) in [("short", #"{"retain_days": 1}"#), ("forever", #"{"retain_days": null}"#)] {
                let response = try await client.execute(
                    uri: "/v1/rooms/\(room)/policy", method: .put, headers: app.authorization + [.contentType: "application/json"],
                    body: ByteBuffer(string: body))
                #expect(response.status == .ok)
            }
            let hold = try await client.execute(uri: "/v1/recordings/\(held.id)/hold", method: .put, headers: app.authorization)
            #expect(hold.status == .ok && hold.object["on_hold"] as? Bool == true)

            func due() async throws -> Set<UUID> { Set(try await RetentionReport.run(dependencies.recording, dryRun: true).lines.map(\.id)) }

            #expect(try await due().isEmpty)
            app.clock.advance(by: 1 * Self.day + 1)
            #expect(try await due() == [short.id])
            app.clock.advance(by: 30 * Self.day)
            #expect(try await due() == [old.id, short.id])

            let deleted = try await RetentionReport.run(dependencies.recording, dryRun: false).lines
            #expect(Set(deleted.map(\.id)) == [old.id, short.id])
            #expect(deleted.first { $0.id == short.id }?.sizeBytes == 100)
            for id in [old.id, short.id] {
                let recording = try #require(try await app.catalog.pool.recordings.find(id: id))
                #expect(recording.status == .deleted)
                let events = try await app.catalog.pool.events.list(recordingID: id, afterID: nil, limit: 50)
                #expect(events.contains { $0.type == "recording.deleted" && $0.actor == "retention" })
                // The objects' deletion is queued, once.
                let purge = try await app.catalog.pool.jobs.find(idempotencyKey: "recording.purge_objects:\(id.uuidString.lowercased())")
                #expect(purge != nil)
            }
            for recording in [forever, live, held] {
                #expect(try await app.catalog.pool.recordings.find(id: recording.id)?.status == recording.status)
            }
            #expect(try await due().isEmpty)
            // Released, the held one is due like the others.
            let release = try await client.execute(uri: "/v1/recordings/\(held.id)/hold", method: .delete, headers: app.authorization)
            #expect(release.status == .ok && release.object["on_hold"] as? Bool == false)
            #expect(try await due() == [held.id])
        }
    }

    /// Cues posted while no recording ran are kept for the session, but not forever: once the
    /// session has been closed longer than its room's retention, and no recording of it can take
    /// them any more, the sweep deletes them.
    @Test("held cues go once their session has been closed past retention", arguments: TestDatabase.all)
    func heldCues(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            var dependencies = app.dependencies
            dependencies.defaultPolicy = RecordingPolicy(retainDays: 30)
            let poster = CueRepository.Poster(actor: "key:test", mayReplaceOthers: true)
            // A session with held cues, closed now (or left open), and optionally a recording (its id is noted).
            let recordingIDs = RecordingIDs()
            func session(room: String, close: Bool, recording: RecordingStatus? = nil) async throws -> UUID {
                try await app.catalog.transaction { tx in
                    let room = try await tx.rooms.findOrCreate(name: room, provider: "livekit")
                    let session = try await tx.sessions.create(
                        roomID: room.id, roomName: room.name, providerSessionID: "RM_\(RandomToken.base62(length: 8))",
                        startedAt: tx.clock.now())
                    if let recording {
                        let id = UUID()
                        _ = try await tx.recordings.insert(
                            NewRecording(
                                id: id, roomID: room.id, sessionID: session.id, provider: "livekit",
                                providerRecordingID: "EG_\(RandomToken.base62(length: 10))", status: recording, storage: "local",
                                keyPrefix: StorageNaming.keyPrefix(room: room.name, sessionKey: session.key, recordingID: id)))
                        recordingIDs.add(id)
                    }
                    let at = tx.clock.now().millisecondsSince1970
                    for (index, text) in ["before the recorder", "started", "or after it"].enumerated() {
                        let cue = NewCue(
                            key: "held-\(index)", kind: .captions, language: "en",
                            timing: .wallClock(startAt: at + Int64(index) * 1000, endAt: at + Int64(index) * 1000 + 900), text: text,
                            source: .live)
                        let held = CuePlacement(sessionID: session.id, recordingID: nil, startMs: nil, endMs: nil)
                        let outcome = try await tx.cues.upsert(cue, at: held, by: poster)
                        #expect(outcome == .inserted)
                    }
                    if close { try await tx.sessions.close(session.id, at: tx.clock.now()) }
                    return session.id
                }
            }
            let lecture = try await session(room: "lecture", close: true)
            let failed = try await session(room: "failed", close: true, recording: .failed)
            let recorded = try await session(room: "recorded", close: true, recording: .ready)
            let forever = try await session(room: "forever", close: true)
            let open = try await session(room: "open", close: false)
            let short = try await session(room: "short", close: true)
            // A department keeping 3 days: its rooms' held cues follow it, not the global 30.
            let departmental = try await session(room: "dept-room", close: true)
            let department = try #require(
                try await app.catalog.pool.organizations.create(
                    slug: "dept", name: "Dept", accessRule: .participants, allowGlobalViewerSecret: false, retainDays: 3,
                    viewerSecretKid: "ovk_test", viewerSecretSealed: "sealed"))
            let departmentRoom = try #require(try await app.catalog.pool.rooms.find(name: "dept-room", provider: "livekit"))
            try await app.catalog.pool.rooms.setOrganization(departmentRoom.id, department.id)
            // Kept from retention, the recording stays ready, and could take the held cues yet.
            let readyID = try #require(recordingIDs.last)
            let hold = try await client.execute(uri: "/v1/recordings/\(readyID)/hold", method: .put, headers: app.authorization)
            #expect(hold.status == .ok)
            for (room, body) in [("short", #"{"retain_days": 1}"#), ("forever", #"{"retain_days": null}"#)] {
                let response = try await client.execute(
                    uri: "/v1/rooms/\(room)/policy", method: .put, headers: app.authorization + [.contentType: "application/json"],
                    body: ByteBuffer(string: body))
                #expect(response.status == .ok)
            }
            func due() async throws -> Set<UUID> {
                Set(try await RetentionReport.run(dependencies.recording, dryRun: true).heldCues.map(\.sessionID))
            }
            func holding() async throws -> [UUID: Int] {
                var held: [UUID: Int] = [:]
                for session in try await app.catalog.pool.cues.closedSessionsHoldingCues(placeable: [], after: nil, limit: 100) {
                    held[session.sessionID] = session.heldCues
                }
                return held
            }

            #expect(try await due().isEmpty)
            app.clock.advance(by: 1 * Self.day + 1)
            #expect(try await due() == [short])
            app.clock.advance(by: 2 * Self.day)
            #expect(try await due() == [short, departmental])
            app.clock.advance(by: 28 * Self.day)
            #expect(try await due() == [lecture, failed, short, departmental])

            let outcome = try await RetentionReport.run(dependencies.recording, dryRun: false)
            #expect(Set(outcome.heldCues.map(\.sessionID)) == [lecture, failed, short, departmental])
            #expect(outcome.heldCues.allSatisfy { $0.cues == 3 })
            // Gone; kept: a session whose ready recording may still take them (a changed cue
            // offset places them again), a room that keeps everything, and a session still open.
            #expect(try await holding() == [recorded: 3, forever: 3])
            #expect(try await due().isEmpty)
            try await app.catalog.pool.sessions.close(open, at: app.clock.now())
            #expect(try await holding()[open] == 3)
            #expect(try await due().isEmpty)
            app.clock.advance(by: 30 * Self.day + 1)
            #expect(try await due() == [open])
        }
    }

    /// Recording ids noted while sessions are made in a transaction.
    final class RecordingIDs: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [UUID] = []

        func add(_ id: UUID) { lock.withLock { ids.append(id) } }
        var last: UUID? { lock.withLock { ids.last } }
    }

    /// A room whose stored policy cannot be read is left alone and reported, never swept under the default.
    @Test("a room with an unreadable stored policy is skipped and reported", arguments: TestDatabase.all)
    func unreadablePolicy(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            var dependencies = app.dependencies
            dependencies.defaultPolicy = RecordingPolicy(retainDays: 30)
            let plain = try await Fixtures.recording(app.catalog, room: "plain")
            let corrupt = try await Fixtures.recording(app.catalog, room: "corrupt")
            let invalid = try await Fixtures.recording(app.catalog, room: "invalid")
            for (room, json) in [("corrupt", #"{"retain_days": 1"#), ("invalid", #"{"retain_days": -5}"#)] {
                try await app.catalog.database.sql.raw(
                    "UPDATE rooms SET policy_json = \(bind: json) WHERE name = \(bind: room)"
                ).run()
            }
            app.clock.advance(by: 31 * Self.day)
            let dryRun = try await RetentionReport.run(dependencies.recording, dryRun: true)
            #expect(dryRun.lines.map(\.id) == [plain.id])
            #expect(dryRun.skipped.map(\.room).sorted() == ["corrupt", "invalid"])
            #expect(dryRun.skipped.allSatisfy { $0.recordings == 1 && $0.reason.contains("cannot be read") })
            #expect(dryRun.skipped.first { $0.room == "invalid" }?.reason.contains("retain_days") == true)
            let swept = try await RetentionReport.run(dependencies.recording, dryRun: false)
            #expect(swept.lines.map(\.id) == [plain.id])
            for recording in [corrupt, invalid] {
                #expect(try await app.catalog.pool.recordings.find(id: recording.id)?.status == recording.status)
            }
            // The policy endpoint says so too, rather than showing the default as the room's.
            let shown = try await client.execute(uri: "/v1/rooms/corrupt/policy", method: .get, headers: app.authorization)
            #expect(shown.status == .conflict && shown.errorCode == "room_policy_unreadable")
        }
    }

    @Test func dueDatesFollowTheEndOrTheCreation() {
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        let ended = created.addingTimeInterval(3600)
        #expect(Retention.expiry(endedAt: ended, createdAt: created, retainDays: 2) == ended.addingTimeInterval(2 * Self.day))
        #expect(Retention.expiry(endedAt: nil, createdAt: created, retainDays: 2) == created.addingTimeInterval(2 * Self.day))
        #expect(Retention.expiry(endedAt: ended, createdAt: created, retainDays: nil) == nil)
        let later = ended.addingTimeInterval(3 * Self.day)
        #expect(Retention.isDue(status: .ready, endedAt: ended, createdAt: created, retainDays: 2, onHold: false, now: later))
        #expect(!Retention.isDue(status: .ready, endedAt: ended, createdAt: created, retainDays: 2, onHold: true, now: later))
        for status in RecordingStatus.allCases where ![.ready, .failed, .aborted].contains(status) {
            #expect(!Retention.isDue(status: status, endedAt: ended, createdAt: created, retainDays: 2, onHold: false, now: later))
        }
    }
}
