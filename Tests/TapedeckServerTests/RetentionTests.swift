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
