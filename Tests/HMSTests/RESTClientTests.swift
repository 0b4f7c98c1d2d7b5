import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import Testing
import TestSupport
@testable import HMS

@Suite("100ms REST client against a local server")
struct RESTClientTests {
    static let credentials = HMSCredentials(accessKey: "test-access-key", secret: "test-secret-0123456789")

    /// The pauses the client asked for, instead of sleeping.
    final class Sleeps: Sendable {
        let recorded = Mutex<[Duration]>([])
        var all: [Duration] { recorded.withLock { $0 } }
        func sleep(_ duration: Duration) { recorded.withLock { $0.append(duration) } }
    }

    static func client(
        _ server: TestHTTPServer, sleeps: Sleeps = Sleeps(), attempts: Int = 4, timeout: TimeAmount = .seconds(5), pageSize: Int = 100
    ) -> HMSRESTClient {
        HMSRESTClient(
            tokens: HMSTokenSource(credentials: credentials), http: HTTPClient.shared, baseURL: server.baseURL + "/",
            timeout: timeout, retry: HMSRetryPolicy(attempts: attempts), pageSize: pageSize,
            sleep: { sleeps.sleep($0) })
    }

    static func claims(_ request: RecordedRequest) -> [String: Any]? {
        guard let header = request.header("Authorization"), header.hasPrefix("Bearer "),
            let payload = HMSJWT.verifiedPayload(String(header.dropFirst(7)), secret: Data(credentials.secret.utf8))
        else { return nil }
        return try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
    }

    static let recordingJSON = #"{"id":"rec1","room_id":"room1","status":"starting","created_at":"2024-03-05T05:14:04.5Z"}"#

    @Test("start: path, bearer token, content type, body with only the fields set")
    func start() async throws {
        let server = try await TestHTTPServer.start { _, _ in .json(200, Self.recordingJSON) }
        defer { Task { await server.shutdown() } }
        let client = Self.client(server)
        let request = HMSStartRequest(
            meetingURL: "https://demo.app.100ms.live/preview/room1/beam?skip_preview=true", width: 1280, height: 720, audioOnly: false,
            transcriptModes: ["txt", "srt"])
        let recording = try await client.startRecording(roomID: "room1", request)
        #expect(recording.id == "rec1" && recording.status == .starting)
        _ = try await client.startRecording(roomID: "room1", HMSStartRequest())
        _ = try await client.startRecording(roomID: "room1", HMSStartRequest(width: 640))

        let sent = server.requests
        #expect(sent.count == 3)
        #expect(sent[0].method == "POST" && sent[0].path == "/v2/recordings/room/room1/start")
        #expect(sent[0].header("Content-Type") == "application/json")
        let claims = try #require(Self.claims(sent[0]))
        #expect(claims["access_key"] as? String == "test-access-key" && claims["type"] as? String == "management")
        #expect(String(decoding: sent[0].body, as: UTF8.self) == #"{"audio_only":false,"meeting_url":"https://demo.app.100ms.live/preview/room1/beam?skip_preview=true","resolution":{"height":720,"width":1280},"transcription":{"enabled":true,"output_modes":["txt","srt"]}}"#)
        #expect(String(decoding: sent[1].body, as: UTF8.self) == "{}")
        #expect(String(decoding: sent[2].body, as: UTF8.self) == #"{"resolution":{"width":640}}"#)
        // One token for all three calls.
        #expect(Set(sent.map { $0.header("Authorization") ?? "" }).count == 1)
    }

    @Test("stop, pause, resume, get and presign: methods, paths, no content type on GET, presign_duration always sent")
    func otherCalls() async throws {
        let server = try await TestHTTPServer.start { request, _ in
            switch request.path {
            case "/v2/recordings/room/room1/stop", "/v2/recordings/room/room1/pause", "/v2/recordings/room/room1/resume":
                .json(200, #"{"limit":10,"data":[\#(Self.recordingJSON),{"id":"rec2","room_id":"room1","status":"stopping"}],"last":""}"#)
            case "/v2/recording-assets/a1/presigned-url":
                .json(200, #"{"id":"a1","path":"s3://b/a1.mp4","url":"https://s3.example/a1.mp4?sig=x","expiry":"2024-03-05T06:14:04Z"}"#)
            case "/v2/recording-assets/a1":
                .json(200, #"{"id":"a1","type":"room-composite","status":"completed","size":"10","duration":"2.5"}"#)
            default:
                .json(200, Self.recordingJSON)
            }
        }
        defer { Task { await server.shutdown() } }
        let client = Self.client(server)
        #expect(try await client.stopRecordings(roomID: "room1").map(\.id) == ["rec1", "rec2"])
        #expect(try await client.stopRecording(id: "rec1").id == "rec1")
        #expect(try await client.pauseRecordings(roomID: "room1").map(\.id) == ["rec1", "rec2"])
        #expect(try await client.resumeRecordings(roomID: "room1").map(\.id) == ["rec1", "rec2"])
        #expect(try await client.recording(id: "rec1").id == "rec1")
        let asset = try await client.asset(id: "a1")
        #expect(asset.size == 10 && asset.duration == 2.5)
        let url = try await client.presignedURL(assetID: "a1", lifetime: 3600)
        #expect(url.url == "https://s3.example/a1.mp4?sig=x" && url.expiry == Date(timeIntervalSince1970: 1_709_619_244))

        let sent = server.requests
        #expect(sent.map(\.method) == ["POST", "POST", "POST", "POST", "GET", "GET", "GET"])
        #expect(sent.map(\.path) == [
            "/v2/recordings/room/room1/stop", "/v2/recordings/rec1/stop", "/v2/recordings/room/room1/pause",
            "/v2/recordings/room/room1/resume", "/v2/recordings/rec1", "/v2/recording-assets/a1", "/v2/recording-assets/a1/presigned-url",
        ])
        #expect(sent[..<4].allSatisfy { $0.header("Content-Type") == "application/json" })
        #expect(sent[4...].allSatisfy { $0.header("Content-Type") == nil && Self.claims($0) != nil })
        #expect(sent[6].uri == "/v2/recording-assets/a1/presigned-url?presign_duration=3600")
    }

    @Test("ids are one percent-encoded path segment whatever they contain")
    func hostileIDs() async throws {
        let server = try await TestHTTPServer.start { _, _ in .json(200, Self.recordingJSON) }
        defer { Task { await server.shutdown() } }
        let client = Self.client(server)
        for id in HostileStrings.all {
            _ = try await client.recording(id: id)
            let request = try #require(server.requests.last)
            let segments = request.path.split(separator: "/", omittingEmptySubsequences: false)
            #expect(segments.count == 4 && segments[2] == "recordings", "\(id.debugDescription) → \(request.uri)")
            #expect(segments.last.flatMap { RecordedRequest.percentDecoded($0) } == id, "\(id.debugDescription)")
            #expect(request.query.isEmpty)
        }
        _ = try await client.recordings(roomID: "a&b=c", sessionID: "?#", status: nil)
        let query = try #require(server.requests.last).query
        #expect(query == ["room_id": "a&b=c", "session_id": "?#", "limit": "100"])
    }

    @Test("lists: every page, start = last, filters kept, stop on a short page")
    func pagination() async throws {
        let server = try await TestHTTPServer.start { request, _ in
            let start = request.query["start"]
            let (ids, last): ([Int], String) =
                switch start {
                case nil: (Array(0..<10), "r9")
                case "r9": (Array(10..<20), "r19")
                default: (Array(20..<23), "r22")
                }
            let items = ids.map { #"{"id":"r\#($0)","room_id":"room1","status":"completed","unknown":[\#($0)]}"# }
            return .json(200, #"{"limit":10,"data":[\#(items.joined(separator: ","))],"last":"\#(last)"}"#)
        }
        defer { Task { await server.shutdown() } }
        let client = Self.client(server, pageSize: 10)
        let recordings = try await client.recordings(roomID: "room1", sessionID: "s1", status: "completed")
        #expect(recordings.map(\.id) == (0..<23).map { "r\($0)" })
        let queries = server.requests.map(\.query)
        #expect(queries.map { $0["start"] } == [nil, "r9", "r19"])
        #expect(queries.allSatisfy { $0["limit"] == "10" && $0["room_id"] == "room1" && $0["session_id"] == "s1" && $0["status"] == "completed" })
        #expect(server.requests.allSatisfy { $0.path == "/v2/recordings" && $0.method == "GET" })
    }

    @Test("lists: a full page with an empty or missing last is the end; assets with stream_type", arguments: [#""last":"","#, ""])
    func paginationEnd(last: String) async throws {
        let server = try await TestHTTPServer.start { _, _ in
            let items = (0..<10).map { #"{"id":"a\#($0)","stream_type":"room-composite","status":"completed","size":"\#($0)"}"# }
            return .json(200, #"{"limit":10,\#(last)"data":[\#(items.joined(separator: ","))]}"#)
        }
        defer { Task { await server.shutdown() } }
        let assets = try await Self.client(server, pageSize: 10).assets(roomID: "room1", sessionID: nil)
        #expect(assets.count == 10 && assets.allSatisfy { $0.type == "room-composite" } && assets[3].size == 3)
        #expect(server.requests.count == 1 && server.requests[0].path == "/v2/recording-assets")
        #expect(server.requests[0].query == ["room_id": "room1", "limit": "10"])
    }

    @Test("401: re-mints the token once and retries once")
    func reauthorize() async throws {
        let server = try await TestHTTPServer.start { _, index in
            index == 0 ? .json(401, #"{"code":401,"message":"Token validation error","details":["expired"]}"#) : .json(200, Self.recordingJSON)
        }
        defer { Task { await server.shutdown() } }
        let sleeps = Sleeps()
        let client = Self.client(server, sleeps: sleeps)
        #expect(try await client.recording(id: "rec1").id == "rec1")
        let sent = server.requests
        #expect(sent.count == 2 && client.tokens.mintCount == 2 && sleeps.all.isEmpty)
        #expect(sent[0].header("Authorization") != sent[1].header("Authorization"))
        #expect(Self.claims(sent[0])?["jti"] as? String != Self.claims(sent[1])?["jti"] as? String)
    }

    @Test("401 or 403 again after the fresh token: the error, after exactly two requests", arguments: [401, 403])
    func reauthorizeFails(status: Int) async throws {
        let server = try await TestHTTPServer.start { _, _ in
            .json(status, #"{"code":\#(status),"message":"Token validation error","details":["bad",{"x":1}]}"#)
        }
        defer { Task { await server.shutdown() } }
        let client = Self.client(server)
        await #expect(throws: HMSError(status: status, message: "Token validation error", details: ["bad"])) {
            _ = try await client.startRecording(roomID: "room1", HMSStartRequest())
        }
        #expect(server.requests.count == 2 && client.tokens.mintCount == 2)
    }

    @Test("429 with Retry-After, then 503, then success")
    func retries() async throws {
        let server = try await TestHTTPServer.start { _, index in
            switch index {
            case 0: .json(429, #"{"code":429,"message":"Too many requests"}"#, headers: [("Retry-After", "2")])
            case 1: .json(503, #"{"code":503,"message":"Service unavailable"}"#)
            default: .json(200, Self.recordingJSON)
            }
        }
        defer { Task { await server.shutdown() } }
        let sleeps = Sleeps()
        let client = Self.client(server, sleeps: sleeps)
        #expect(try await client.recording(id: "rec1").id == "rec1")
        #expect(server.requests.count == 3 && client.tokens.mintCount == 1)
        let pauses = sleeps.all
        #expect(pauses.count == 2 && pauses[0] == .seconds(2))
        // Second failure: 250 ms · 2, with jitter between half and all of it.
        #expect(pauses[1] >= .milliseconds(250) && pauses[1] <= .milliseconds(500))
    }

    @Test("5xx until the attempts run out: the last error; other 4xx are not retried")
    func retriesExhausted() async throws {
        let server = try await TestHTTPServer.start { request, _ in
            request.path.hasSuffix("/missing") ? .json(404, #"{"code":404,"message":"Recording not found","details":[]}"#)
                : ScriptedResponse(status: 502, body: Data("bad gateway".utf8))
        }
        defer { Task { await server.shutdown() } }
        let sleeps = Sleeps()
        let client = Self.client(server, sleeps: sleeps, attempts: 3)
        await #expect(throws: HMSError(status: 502, message: "bad gateway")) { _ = try await client.recording(id: "rec1") }
        #expect(server.requests.count == 3 && sleeps.all.count == 2)
        do {
            _ = try await client.recording(id: "missing")
            Issue.record("no error")
        } catch let error as HMSError {
            #expect(error.isNotFound && error.message == "Recording not found" && error.details.isEmpty)
        }
        #expect(server.requests.count == 4 && sleeps.all.count == 2)
    }

    @Test("a 2xx body that is not a recording is an error")
    func unreadable() async throws {
        let server = try await TestHTTPServer.start { _, _ in .json(200, "<html>") }
        defer { Task { await server.shutdown() } }
        await #expect(throws: HMSError.self) { _ = try await Self.client(server).recording(id: "rec1") }
        await #expect(throws: HMSError.self) { _ = try await Self.client(server).recordings(roomID: nil, sessionID: nil, status: nil) }
    }

    @Test("a server that does not answer in time: status 0, within the per-call timeout, retried")
    func timeout() async throws {
        let server = try await TestHTTPServer.start { _, _ in
            var response = ScriptedResponse.json(200, Self.recordingJSON)
            // Far longer than any bound below: without the per-call timeout one attempt alone
            // would take this long. The bound leaves room for a loaded machine, whose
            // cooperative threads resume a timed-out call late.
            response.delay = .seconds(40)
            return response
        }
        defer { Task { await server.shutdown() } }
        let sleeps = Sleeps()
        let client = Self.client(server, sleeps: sleeps, attempts: 2, timeout: .milliseconds(300))
        let started = ContinuousClock.now
        do {
            _ = try await client.recording(id: "rec1")
            Issue.record("no error")
        } catch let error as HMSError {
            #expect(error.status == 0 && error.message.contains("in time"), "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(server.requests.count == 2 && sleeps.all.count == 1)
    }

    @Test("nothing listening: a transport error, retried")
    func unreachable() async throws {
        let port = try FreePort.find()
        let sleeps = Sleeps()
        let client = HMSRESTClient(
            tokens: HMSTokenSource(credentials: Self.credentials), http: HTTPClient.shared, baseURL: "http://127.0.0.1:\(port)/v2",
            // AsyncHTTPClient keeps trying to connect until the deadline, so each attempt lasts the timeout.
            timeout: .milliseconds(300), retry: HMSRetryPolicy(attempts: 3), sleep: { sleeps.sleep($0) })
        do {
            _ = try await client.recording(id: "x")
            Issue.record("no error")
        } catch let error as HMSError {
            #expect(error.status == 0, "\(error)")
        }
        #expect(sleeps.all.count == 2)
    }
}
