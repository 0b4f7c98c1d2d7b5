import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ObjectStorage
import Testing
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

@Suite("Recordings API")
struct RecordingsAPITests {
    @Test("list pages through every recording with filters", arguments: TestDatabase.all)
    func list(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            // setup
            var ids: [String] = []
            for index in 0..<7 {
                app.clock.advance(by: 1)
                let recording = try await Fixtures.recording(
                    app.catalog, room: index < 4 ? "alpha" : "beta", status: index == 0 ? .failed : .ready,
                    assets: [(.mp4, "session.mp4")])
                ids.append(recording.id.uuidString.lowercased())
            }
            // action: page through with limit 3
            var seen: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/recordings?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await client.execute(uri: uri, method: .get, headers: app.authorization)
                #expect(response.status == .ok)
                let page = response.object
                let items = page["items"] as? [[String: Any]] ?? []
                #expect(items.count <= 3)
                seen += items.compactMap { $0["id"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            // check: newest first, each once
            #expect(seen == ids.reversed())

            let alpha = try await client.execute(uri: "/v1/recordings?room=alpha", method: .get, headers: app.authorization)
            #expect((alpha.object["items"] as? [[String: Any]])?.count == 4)
            let failed = try await client.execute(uri: "/v1/recordings?status=failed", method: .get, headers: app.authorization)
            let failedItems = failed.object["items"] as? [[String: Any]] ?? []
            #expect(failedItems.map { $0["id"] as? String } == [ids[0]])
            #expect(failed.object["next_cursor"] is NSNull)
        }
    }

    @Test("a recording's JSON has the documented shape", arguments: TestDatabase.all)
    func shape(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let recording = try await Fixtures.recording(app.catalog, room: "math", assets: [(.hls, "index.m3u8")])
            let response = try await client.execute(
                uri: "/v1/recordings/\(recording.id)", method: .get, headers: app.authorization)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let body = response.object
            #expect(
                Set(body.keys) == [
                    "id", "room", "session_key", "provider", "title", "status", "layout", "audio_only", "started_at", "ended_at",
                    "duration_ms", "size_bytes", "error", "limit_reached", "on_hold", "assets", "created_at", "updated_at",
                    "media_started_at", "cue_offset_ms", "paused", "paused_at", "pauses",
                ])
            #expect(body["paused"] as? Bool == false && body["paused_at"] is NSNull && (body["pauses"] as? [Any])?.isEmpty == true)
            #expect(body["id"] as? String == recording.id.uuidString.lowercased())
            #expect(body["room"] as? String == "math")
            #expect(body["status"] as? String == "ready")
            #expect(body["ended_at"] is NSNull)
            #expect(body["created_at"] as? String == "2026-01-01T00:00:00.000Z")
            let assets = body["assets"] as? [[String: Any]] ?? []
            #expect(assets.count == 1)
            #expect(Set(assets[0].keys) == ["kind", "key", "content_type", "size_bytes", "duration_ms"])
            #expect(assets[0]["kind"] as? String == "hls")
        }
    }

    @Test("bad query parameters are 400s that name the parameter", arguments: [
        ("/v1/recordings?limit=0", "limit", "invalid_parameter"),
        ("/v1/recordings?limit=101", "limit", "invalid_parameter"),
        ("/v1/recordings?limit=ten", "limit", "invalid_parameter"),
        ("/v1/recordings?limit=-1", "limit", "invalid_parameter"),
        ("/v1/recordings?status=finished", "status", "invalid_parameter"),
        ("/v1/recordings?cursor=garbage", "cursor", "invalid_cursor"),
        ("/v1/recordings?cursor=%3D%3D", "cursor", "invalid_cursor"),
        ("/v1/recordings?room=" + String(repeating: "x", count: 300), "room", "invalid_parameter"),
        ("/v1/recordings/not-a-uuid", "id", "invalid_id"),
        ("/v1/recordings/123/events", "id", "invalid_id"),
        ("/v1/recordings/00000000-0000-0000-0000-000000000000/events?limit=501", "limit", "invalid_parameter"),
        ("/v1/recordings/00000000-0000-0000-0000-000000000000/events?cursor=x", "cursor", "invalid_cursor"),
    ])
    func badParameters(uri: String, field: String, code: String) async throws {
        try await TestApp.with(.sqlite) { app, client in
            let response = try await client.execute(uri: uri, method: .get, headers: app.authorization)
            #expect(response.status == .badRequest, "\(uri)")
            #expect(response.errorField == field, "\(uri)")
            #expect(response.errorCode == code, "\(uri)")
            #expect((response.object["error"] as? [String: Any])?["message"] as? String != nil)
        }
    }

    @Test("a cursor from other filters is refused", arguments: TestDatabase.all)
    func foreignCursor(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            for _ in 0..<3 { try await Fixtures.recording(app.catalog, room: "alpha") }
            let first = try await client.execute(uri: "/v1/recordings?limit=1&room=alpha", method: .get, headers: app.authorization)
            let cursor = try #require(first.object["next_cursor"] as? String)
            let foreign = try await client.execute(uri: "/v1/recordings?limit=1&cursor=\(cursor)", method: .get, headers: app.authorization)
            #expect(foreign.status == .badRequest)
            #expect(foreign.errorCode == "invalid_cursor")
            let events = try await client.execute(
                uri: "/v1/recordings/\(UUID())/events?cursor=\(cursor)", method: .get, headers: app.authorization)
            #expect(events.status == .badRequest)
            let same = try await client.execute(uri: "/v1/recordings?limit=1&room=alpha&cursor=\(cursor)", method: .get, headers: app.authorization)
            #expect(same.status == .ok)
        }
    }

    @Test("unknown ids are 404", arguments: TestDatabase.all)
    func unknown(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            for (method, path) in [(HTTPRequest.Method.get, ""), (.delete, ""), (.get, "/events")] {
                let response = try await client.execute(
                    uri: "/v1/recordings/\(UUID())\(path)", method: method, headers: app.authorization)
                #expect(response.status == .notFound)
                #expect(response.errorCode == "not_found")
            }
        }
    }

    @Test("delete marks deleted, audits, queues object deletion once; active recordings are refused", arguments: TestDatabase.all)
    func delete(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let recording = try await Fixtures.recording(app.catalog, assets: [(.mp4, "session.mp4")])
            let response = try await client.execute(
                uri: "/v1/recordings/\(recording.id)", method: .delete, headers: app.authorization)
            #expect(response.status == .accepted)
            #expect(response.object["status"] as? String == "deleted")

            let again = try await client.execute(
                uri: "/v1/recordings/\(recording.id)", method: .delete, headers: app.authorization)
            #expect(again.status == .accepted, "deleting twice is harmless")

            let job = try #require(
                try await app.catalog.pool.jobs.find(idempotencyKey: "recording.purge_objects:\(recording.id.uuidString.lowercased())"))
            #expect(job.state == .queued)
            let queued = try await app.catalog.pool.jobs.counts()
            #expect(queued.filter { $0.kind == "recording.purge_objects" }.map(\.count) == [1], "queued exactly once")
            // The deletion's webhook fan-out is queued with it, once (the second delete changed nothing).
            #expect(queued.filter { $0.kind == WebhookOutbox.fanOutKind }.map(\.count) == [1])

            let events = try await client.execute(
                uri: "/v1/recordings/\(recording.id)/events", method: .get, headers: app.authorization)
            let items = events.object["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["type"] as? String } == ["recording.created", "recording.deleted"])
            let deletion = items.last ?? [:]
            #expect((deletion["actor"] as? String)?.hasPrefix("api_key:") == true)
            #expect((deletion["data"] as? [String: Any])?["from"] as? String == "ready")

            // Deleted recordings leave the default listing.
            let list = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect((list.object["items"] as? [Any])?.isEmpty == true)

            let active = try await Fixtures.recording(app.catalog, room: "live", status: .recording)
            let refused = try await client.execute(uri: "/v1/recordings/\(active.id)", method: .delete, headers: app.authorization)
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "recording_active")
            #expect(try await app.catalog.pool.recordings.find(id: active.id)?.status == .recording)
        }
    }

    @Test("events are paginated oldest first", arguments: TestDatabase.all)
    func eventsPagination(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let recording = try await Fixtures.recording(app.catalog, status: .starting)
            for status in [RecordingStatus.recording, .stopping, .processing, .ready] {
                _ = try await app.catalog.transaction { tx in
                    try await tx.recordings.transition(recording.id, to: status, actor: "livekit", cause: "test")
                }
            }
            var types: [String] = []
            var cursor: String?
            repeat {
                let uri = "/v1/recordings/\(recording.id)/events?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.execute(uri: uri, method: .get, headers: app.authorization).object
                types += (page["items"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
                cursor = page["next_cursor"] as? String
            } while cursor != nil
            #expect(
                types == [
                    "recording.created", "recording.recording", "recording.stopping", "recording.processing",
                    "recording.ready",
                ])
        }
    }
}
