import Foundation
import Testing
import TestSupport
@testable import HMS

@Suite("100ms timestamps")
struct TimestampTests {
    static let base = 1_709_615_644.0  // 2024-03-05T05:14:04Z

    @Test(
        "RFC 3339 with 0 to 9 fractional digits keeps the fraction",
        arguments: [
            ("2024-03-05T05:14:04Z", 0.0), ("2024-03-05T05:14:04.6Z", 0.6), ("2024-03-05T05:14:04.67Z", 0.67),
            ("2024-03-05T05:14:04.007Z", 0.007), ("2024-03-05T05:14:04.007990Z", 0.00799),
            ("2024-03-05T05:14:04.007990308Z", 0.007990308), ("2024-03-05T05:14:04.999999999Z", 0.999999999),
            ("2024-03-05T05:14:04.0079903081234Z", 0.0079903081), ("2024-03-05t05:14:04.5z", 0.5),
            ("2024-03-05T10:44:04.25+05:30", 0.25), ("2024-03-04T23:14:04-06:00", 0.0),
        ])
    func fractions(text: String, fraction: Double) throws {
        let date = try #require(HMSTimestamp.parse(text))
        // Within a microsecond: never rounded down to the millisecond (ISO8601DateFormatter's flaw).
        #expect(abs(date.timeIntervalSince1970 - (Self.base + fraction)) < 1e-6, "\(text)")
    }

    @Test("calendar edges")
    func edges() {
        #expect(HMSTimestamp.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(HMSTimestamp.parse("2024-02-29T00:00:00Z") == Date(timeIntervalSince1970: 1_709_164_800))
        #expect(HMSTimestamp.parse("2000-02-29T12:00:00Z") == Date(timeIntervalSince1970: 951_825_600))
        #expect(HMSTimestamp.parse("1969-12-31T23:59:59Z") == Date(timeIntervalSince1970: -1))
    }

    @Test(
        "garbage is nil",
        arguments: [
            "", "nope", "2024-03-05", "2024-03-05T05:14:04", "2024-03-05T05:14:04.Z", "2024-03-05T05:14Z",
            "2024-13-05T05:14:04Z", "2023-02-29T05:14:04Z", "2024-04-31T00:00:00Z", "2024-03-05T24:00:00Z",
            "2024-03-05T05:60:00Z", "2024-03-05T05:14:61Z", "2024-03-05T05:14:04ZZ", "2024-03-05T05:14:04+0530",
            "2024-03-05T05:14:04+25:00", " 2024-03-05T05:14:04Z", "2024-03-05T05:14:04.1234567890123456789Z",
            "２０２４-03-05T05:14:04Z", "2024-03-05T05:14:04.5\u{0}Z", "-024-03-05T05:14:04Z", "1709615644",
        ])
    func garbage(text: String) {
        #expect(HMSTimestamp.parse(text) == nil)
    }

    @Test("hostile strings never parse and never crash")
    func hostile() {
        for text in HostileStrings.all { #expect(HMSTimestamp.parse(text) == nil, "\(text.debugDescription)") }
    }
}

@Suite("100ms REST objects")
struct ObjectDecodingTests {
    static let recording = """
        {"id":"6655b8a3d0c5fb0c8a6e1b11","room_id":"6655b8a3d0c5fb0c8a6e1b00","session_id":"6655b8a3d0c5fb0c8a6e1b22",
         "status":"completed","meeting_url":"https://demo.app.100ms.live/preview/room/beam?skip_preview=true",
         "destination":"s3://bucket/prefix","asset_types":["room-composite","chat","transcript"],
         "started_by":"api","stopped_by":"api","created_at":"2024-03-05T05:14:04.007990308Z",
         "started_at":"2024-03-05T05:14:10.67Z","stopped_at":"2024-03-05T06:14:10Z","updated_at":"2024-03-05T06:20:00.123456Z",
         "future_field":{"nested":[1,2,3]},"resolution":{"width":1280,"height":720},
         "recording_assets":[
           {"id":"a1","job_id":"j1","room_id":"r","session_id":"s","type":"room-composite","status":"completed",
            "path":"s3://bucket/prefix/a1.mp4","size":"314572800","duration":"3600","created_at":"2024-03-05T06:19:59Z",
            "metadata":{"resolution":{"width":1280,"height":720},"codec":"h264"},"thumbnails":[{"path":"s3://t.jpg"}]},
           {"id":"a2","stream_type":"transcript","status":"completed","size":1024,"duration":3599.5,
            "metadata":{"output_mode":"srt"}},
           {"no_id":true}
         ]}
        """

    @Test("a recording with its assets: sizes and durations as strings, stream_type, unknown fields")
    func recordingObject() throws {
        let recording = try HMSRecording.decode(Data(Self.recording.utf8))
        #expect(recording.id == "6655b8a3d0c5fb0c8a6e1b11" && recording.roomID == "6655b8a3d0c5fb0c8a6e1b00")
        #expect(recording.sessionID == "6655b8a3d0c5fb0c8a6e1b22" && recording.status == .completed)
        #expect(recording.meetingURL == "https://demo.app.100ms.live/preview/room/beam?skip_preview=true")
        #expect(recording.destination == "s3://bucket/prefix" && recording.startedBy == "api" && recording.stoppedBy == "api")
        #expect(recording.assetTypes == ["room-composite", "chat", "transcript"])
        #expect(abs(recording.createdAt!.timeIntervalSince1970 - 1_709_615_644.007990308) < 1e-6)
        #expect(recording.startedAt == HMSTimestamp.parse("2024-03-05T05:14:10.670Z"))
        #expect(recording.stoppedAt == Date(timeIntervalSince1970: 1_709_619_250))
        #expect(recording.updatedAt != nil)
        let assets = try #require(recording.assets)
        #expect(assets.count == 2)
        #expect(assets[0].size == 314_572_800 && assets[0].duration == 3600 && assets[0].type == "room-composite")
        #expect(assets[0].jobID == "j1" && assets[0].path == "s3://bucket/prefix/a1.mp4" && assets[0].width == 1280)
        #expect(assets[0].height == 720 && assets[0].createdAt == Date(timeIntervalSince1970: 1_709_619_599))
        #expect(assets[1].type == "transcript" && assets[1].outputMode == "srt" && assets[1].size == 1024)
        #expect(assets[1].duration == 3599.5 && assets[1].path == nil)
    }

    @Test("recording_assets null, absent or empty; every status", arguments: ["null", "absent", "[]"])
    func assetsAbsent(form: String) throws {
        let assets = form == "absent" ? "" : #","recording_assets":\#(form)"#
        for (raw, status) in [
            ("starting", HMSRecording.Status.starting), ("running", .running), ("stopping", .stopping),
            ("post_processing", .postProcessing), ("completed", .completed), ("failed", .failed), ("paused", .other("paused")),
        ] {
            let recording = try HMSRecording.decode(Data(#"{"id":"x","room_id":"r","status":"\#(raw)"\#(assets)}"#.utf8))
            #expect(recording.status == status && recording.status.rawValue == raw)
            #expect(recording.assets == (form == "[]" ? [] : nil))
            #expect(recording.sessionID == nil && recording.createdAt == nil && recording.assetTypes.isEmpty)
        }
    }

    @Test("wrong types read as absent; garbage is an error, not a crash")
    func wrongTypes() throws {
        let body = #"""
            {"id":"x","room_id":7,"status":null,"asset_types":"chat","created_at":"yesterday","recording_assets":{"a":1}}
            """#
        let recording = try HMSRecording.decode(Data(body.utf8))
        #expect(recording.roomID == "" && recording.status == .other("") && recording.assetTypes == ["chat"])
        #expect(recording.createdAt == nil && recording.assets == nil)
        #expect(throws: HMSDecodeError.notJSON) { try HMSRecording.decode(Data("[1]".utf8)) }
        #expect(throws: HMSDecodeError.notJSON) { try HMSRecording.decode(Data("{".utf8)) }
        #expect(throws: HMSDecodeError.missingField("id")) { try HMSRecording.decode(Data(#"{"id":""}"#.utf8)) }
        let asset = try HMSAsset.decode(
            Data(#"{"id":"a","size":"12x","duration":"NaN","type":["x"],"created_at":12,"status":true}"#.utf8))
        #expect(asset.size == nil && asset.duration == nil && asset.type == "" && asset.createdAt == nil && asset.status == "")
        for size in [#""1e3""#, "1000.9", #"" 1000 ""#, "1000"] {
            #expect(try HMSAsset.decode(Data(#"{"id":"a","size":\#(size)}"#.utf8)).size == 1000, "\(size)")
        }
        #expect(try HMSAsset.decode(Data(#"{"id":"a","size":1e300}"#.utf8)).size == nil)
        #expect(try HMSAsset.decode(Data(#"{"id":"a","size":true}"#.utf8)).size == nil)
        #expect(try HMSAsset.decode(Data(#"{"id":"a","size":9007199254740993}"#.utf8)).size == 9_007_199_254_740_993)
    }

    @Test("a list page: {limit, data, last}; list items have no recording_assets")
    func page() throws {
        let body = """
            {"limit":10,"data":[{"id":"r1","room_id":"room","status":"running"},{"id":"r2","room_id":"room","status":"completed"}],
             "last":"r2","unknown":1}
            """
        let (page, count) = try HMSPage.decode(Data(body.utf8), item: HMSRecording.init(json:))
        #expect(page.items.map(\.id) == ["r1", "r2"] && page.limit == 10 && page.last == "r2" && count == 2)
        #expect(page.items.allSatisfy { $0.assets == nil })
        let empty = try HMSPage.decode(Data(#"{"limit":10,"data":null,"last":null}"#.utf8), item: HMSAsset.init(json:))
        #expect(empty.page.items.isEmpty && empty.page.last == nil && empty.rawCount == 0)
    }

    @Test("a presigned URL")
    func presigned() throws {
        let body = """
            {"id":"a1","path":"s3://bucket/a1.mp4","url":"https://cdn.example/a1.mp4?X-Amz-Signature=abc&x=1",
             "expiry":"2024-03-05T06:14:04.5Z","extra":"ignored"}
            """
        let value = try HMSPresignedURL.decode(Data(body.utf8))
        #expect(value == HMSPresignedURL(
            id: "a1", path: "s3://bucket/a1.mp4", url: "https://cdn.example/a1.mp4?X-Amz-Signature=abc&x=1",
            expiry: Date(timeIntervalSince1970: 1_709_619_244.5)))
        #expect(throws: HMSDecodeError.missingField("url")) { try HMSPresignedURL.decode(Data(#"{"id":"a1"}"#.utf8)) }
    }

    @Test("error answers: {code, message, details} with string and object details")
    func errors() {
        let error = HMSError.from(
            status: 401, body: Data(#"{"code":401,"message":"Token validation error","details":["token expired",{"field":"x"},3]}"#.utf8))
        #expect(error == HMSError(status: 401, message: "Token validation error", details: ["token expired"]))
        #expect(HMSError.from(status: 400, body: Data(#"{"message":"bad","details":"one"}"#.utf8)).details == ["one"])
        #expect(HMSError.from(status: 502, body: Data("<html>Bad gateway</html>".utf8)).message == "<html>Bad gateway</html>")
        #expect(HMSError.from(status: 500, body: Data()).message == "HTTP 500")
        #expect(HMSError.from(status: 404, body: Data("{}".utf8)).isNotFound)
    }

    /// Every string field of a recording and an asset carries the hostile string back unchanged.
    @Test("hostile strings in every string field of recordings and assets")
    func hostileObjects() throws {
        for text in HostileStrings.all {
            // An empty id is no object at all (checked elsewhere).
            guard !text.isEmpty else { continue }
            let asset: [String: Any] = [
                "id": text, "job_id": text, "room_id": text, "session_id": text, "type": text, "status": text, "path": text,
                "size": text, "duration": text, "created_at": text, "metadata": ["output_mode": text],
            ]
            let object: [String: Any] = [
                "id": text, "room_id": text, "session_id": text, "status": text, "meeting_url": text, "destination": text,
                "asset_types": [text], "started_by": text, "stopped_by": text, "created_at": text, "updated_at": text,
                "recording_assets": [asset], text: text,
            ]
            let recording = try HMSRecording.decode(try JSONSerialization.data(withJSONObject: object))
            let back = HMSRecording(
                id: text, roomID: text, sessionID: text, status: .init(text), meetingURL: text, assetTypes: [text],
                assets: [HMSAsset(id: text, jobID: text, roomID: text, sessionID: text, type: text, status: text, path: text, outputMode: text)])
            var expected = back
            expected.destination = text
            expected.startedBy = text
            expected.stoppedBy = text
            #expect(recording == expected, "\(text.debugDescription)")
            #expect(recording.status.rawValue == text)
            let url = try HMSPresignedURL.decode(try JSONSerialization.data(withJSONObject: ["id": text, "path": text, "url": text, "expiry": text]))
            #expect(url == HMSPresignedURL(id: text, path: text, url: text, expiry: nil))
            let error = HMSError.from(status: 400, body: try JSONSerialization.data(withJSONObject: ["message": text, "details": [text]]))
            #expect(error.message == text && error.details == [text])
        }
    }
}
