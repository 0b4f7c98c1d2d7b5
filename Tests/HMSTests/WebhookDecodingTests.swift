import Foundation
import Testing
import TestSupport
@testable import HMS

@Suite("100ms webhooks")
struct WebhookDecodingTests {
    static func envelope(_ type: String, version: String = #""2.0""#, extra: String = "", data: String) -> Data {
        Data(
            """
            {"version":\(version),"id":"4b2c7e3a-1f1e-4c7e-9a3b-5d6e7f809112","app_id":"app1","account_id":"acc1",
             "template_id":"tmpl1","timestamp":"2024-03-05T05:14:04.67Z","type":"\(type)"\(extra),"data":\(data)}
            """.utf8)
    }

    static let t = "2024-03-05T05:14:04.007990308Z"
    static let tDate = HMSTimestamp.parse(t)!
    static let session = #""room_id":"r1","room_name":"math-101","session_id":"s1","template_id":"tmpl1","session_started_at":"\#(t)""#
    static let peer = #""room_id":"r1","room_name":"math-101","session_id":"s1","peer_id":"p1","user_id":"u1","user_name":"Ada","user_data":"{\"seat\":3}","role":"host","joined_at":"\#(t)","type":"regular""#
    static let beam = #""beam_id":"b1","job_id":"j1","room_id":"r1","session_id":"s1","peer_id":"p1","recording_enabled":true,"meeting_url":"https://x.app.100ms.live/preview/r1/beam?skip_preview=true","max_width":1280,"max_height":720,"session_started_at":"\#(t)""#

    @Test("envelope of both versions; is_replay in the envelope or in data", arguments: [#""2.0""#, #""1.0""#, "2"])
    func envelope(version: String) throws {
        let event = try HMSWebhookEvent.decode(Self.envelope("session.open.success", version: version, extra: #","is_replay":true"#, data: "{\(Self.session)}"))
        #expect(event.id == "4b2c7e3a-1f1e-4c7e-9a3b-5d6e7f809112" && event.type == "session.open.success")
        #expect(event.version == (version == #""1.0""# ? "1.0" : "2.0"))
        #expect(event.timestamp == HMSTimestamp.parse("2024-03-05T05:14:04.670Z"))
        #expect(event.appID == "app1" && event.accountID == "acc1" && event.templateID == "tmpl1")
        #expect(event.data.isReplay)
        let inData = try HMSWebhookEvent.decode(Self.envelope("session.open.success", data: #"{"is_replay":true}"#))
        #expect(inData.data.isReplay)
        let plain = try HMSWebhookEvent.decode(Self.envelope("session.open.success", data: "null"))
        #expect(!plain.data.isReplay && plain.data == HMSWebhookData())
    }

    @Test("session.open.success and session.close.success")
    func sessions() throws {
        let open = try HMSWebhookEvent.decode(Self.envelope("session.open.success", data: "{\(Self.session)}")).data
        #expect(open.roomID == "r1" && open.roomName == "math-101" && open.sessionID == "s1" && open.templateID == "tmpl1")
        #expect(open.sessionStartedAt == Self.tDate)
        let close = try HMSWebhookEvent.decode(
            Self.envelope("session.close.success", data: #"{\#(Self.session),"session_duration":"3600","session_stopped_at":"2024-03-05T06:14:04Z"}"#)).data
        #expect(close.sessionDuration == 3600 && close.sessionStoppedAt == Date(timeIntervalSince1970: 1_709_619_244))
    }

    @Test("peer.join.success and peer.leave.success")
    func peers() throws {
        let join = try HMSWebhookEvent.decode(Self.envelope("peer.join.success", data: "{\(Self.peer)}")).data
        #expect(join.peerID == "p1" && join.userID == "u1" && join.userName == "Ada" && join.userData == #"{"seat":3}"#)
        #expect(join.role == "host" && join.joinedAt == Self.tDate && join.peerType == "regular")
        let leave = try HMSWebhookEvent.decode(
            Self.envelope("peer.leave.success", data: #"{\#(Self.peer),"left_at":"2024-03-05T06:00:00.5Z","duration":2755,"reason":"client_request","message":"bye"}"#)).data
        #expect(leave.leftAt == Date(timeIntervalSince1970: 1_709_618_400.5) && leave.duration == 2755)
        #expect(leave.reason == "client_request" && leave.message == "bye")
        let sip = try HMSWebhookEvent.decode(Self.envelope("peer.join.success", data: #"{"type":"sip"}"#)).data
        #expect(sip.peerType == "sip")
    }

    @Test("beam.started.success, beam.stopped.success, beam.failure")
    func beams() throws {
        let started = try HMSWebhookEvent.decode(Self.envelope("beam.started.success", data: "{\(Self.beam)}")).data
        #expect(started.beamID == "b1" && started.jobID == "j1" && started.peerID == "p1" && started.recordingEnabled == true)
        #expect(started.meetingURL == "https://x.app.100ms.live/preview/r1/beam?skip_preview=true")
        #expect(started.maxWidth == 1280 && started.maxHeight == 720 && started.sessionStartedAt == Self.tDate)
        for reason in ["client request", "max duration reached", "room ended", "last peer left", "failure: UPLOAD_ERROR"] {
            let stopped = try HMSWebhookEvent.decode(
                Self.envelope("beam.stopped.success", data: #"{\#(Self.beam),"duration":"61","reason":"\#(reason)"}"#)).data
            #expect(stopped.duration == 61 && stopped.reason == reason)
        }
        for kind in ["INTERNAL_ERROR", "MAX_RETRIES_REACHED", "UPLOAD_ERROR", "BEAM_STOPPED"] {
            let failure = try HMSWebhookEvent.decode(Self.envelope(
                "beam.failure", data: #"{"beam_id":"b1","job_id":"j1","room_id":"r1","session_id":"s1","error_type":"\#(kind)","error_message":"it broke"}"#)).data
            #expect(failure.errorType == kind && failure.errorMessage == "it broke" && failure.jobID == "j1")
        }
    }

    @Test("beam.recording.success with size and duration as numbers or strings", arguments: [("314572800", "3600"), (#""314572800""#, #""3600""#)])
    func beamRecording(size: String, duration: String) throws {
        let body = #"""
            {"beam_id":"b1","recording_id":"rec1","room_id":"r1","session_id":"s1","started_at":"2024-03-05T05:14:04Z",
             "stopped_at":"2024-03-05T06:14:04.123Z","duration":\#(duration),"size":\#(size),
             "recording_path":"s3://bucket/r1/rec1.mp4","recording_presigned_url":"https://s3.example/rec1.mp4?sig=1",
             "chat_recording_path":"s3://bucket/r1/chat.csv","chat_recording_presigned_url":"https://s3.example/chat.csv?sig=2",
             "max_width":1920,"max_height":1080}
            """#
        let data = try HMSWebhookEvent.decode(Self.envelope("beam.recording.success", version: #""1.0""#, data: body)).data
        #expect(data.recordingID == "rec1" && data.size == 314_572_800 && data.duration == 3600)
        #expect(data.startedAt == Date(timeIntervalSince1970: 1_709_615_644))
        #expect(abs(data.stoppedAt!.timeIntervalSince1970 - 1_709_619_244.123) < 1e-6)
        #expect(data.recordingPath == "s3://bucket/r1/rec1.mp4" && data.recordingPresignedURL == "https://s3.example/rec1.mp4?sig=1")
        #expect(data.chatRecordingPath == "s3://bucket/r1/chat.csv" && data.chatRecordingPresignedURL == "https://s3.example/chat.csv?sig=2")
        #expect(data.maxWidth == 1920 && data.maxHeight == 1080)
    }

    @Test("recording.success and recording.failed")
    func sfuRecording() throws {
        let success = try HMSWebhookEvent.decode(Self.envelope("recording.success", data: #"""
            {"room_id":"r1","room_name":"math-101","session_id":"s1","duration":12.5,"recording_path":"s3://b/x.mp4",
             "recording_presigned_url":"https://s3.example/x.mp4","size":"2048"}
            """#)).data
        #expect(success.duration == 12.5 && success.size == 2048 && success.recordingPresignedURL == "https://s3.example/x.mp4")
        let failed = try HMSWebhookEvent.decode(Self.envelope("recording.failed", data: #"""
            {"room_id":"r1","session_id":"s1","error":"upload failed","error_type":"UPLOAD_ERROR","duration":null,"size":""}
            """#)).data
        #expect(failed.error == "upload failed" && failed.errorType == "UPLOAD_ERROR" && failed.duration == nil && failed.size == nil)
        let objectError = try HMSWebhookEvent.decode(Self.envelope("recording.failed", data: #"{"error":{"message":"nested"}}"#)).data
        #expect(objectError.error == "nested")
    }

    @Test("transcription.success names each file by kind")
    func transcription() throws {
        var fields: [String] = [#""room_id":"r1""#, #""session_id":"s1""#, #""recording_id":"rec1""#, #""transcription_id":"tr1""#]
        for kind in ["transcript_json", "transcript_srt", "transcript_txt"] {
            fields += [#""\#(kind)_asset_id":"\#(kind)-id""#, #""\#(kind)_path":"s3://b/\#(kind)""#, #""\#(kind)_presigned_url":"https://s3.example/\#(kind)""#]
        }
        let data = try HMSWebhookEvent.decode(Self.envelope("transcription.success", data: "{\(fields.joined(separator: ","))}")).data
        #expect(data.transcriptionID == "tr1" && data.recordingID == "rec1")
        #expect(data.outputs.count == 3 && data.outputs["summary_json"] == nil)
        #expect(data.outputs["transcript_srt"] == HMSWebhookOutput(
            assetID: "transcript_srt-id", path: "s3://b/transcript_srt", presignedURL: "https://s3.example/transcript_srt"))
    }

    @Test("malformed bodies are errors, not crashes")
    func malformed() throws {
        #expect(throws: HMSDecodeError.notJSON) { try HMSWebhookEvent.decode(Data("not json".utf8)) }
        #expect(throws: HMSDecodeError.notJSON) { try HMSWebhookEvent.decode(Data(#"["id"]"#.utf8)) }
        #expect(throws: HMSDecodeError.missingField("id")) { try HMSWebhookEvent.decode(Data(#"{"type":"x"}"#.utf8)) }
        #expect(throws: HMSDecodeError.missingField("type")) { try HMSWebhookEvent.decode(Data(#"{"id":"x","type":3}"#.utf8)) }
        #expect(throws: HMSDecodeError.missingField("id")) { try HMSWebhookEvent.decode(Data(#"{"id":"","type":"x"}"#.utf8)) }
        // A BOM inside a string is kept (JSONSerialization on Linux drops it).
        #expect(try HMSWebhookEvent.decode(Data("{\"id\":\"\u{FEFF}x\",\"type\":\"t\"}".utf8)).id == "\u{FEFF}x")
        for body in ["", "{", "\u{0}", #"{"id":"x","type":"y","data":"#, String(repeating: "[", count: 10_000)] {
            #expect(throws: HMSDecodeError.self) { try HMSWebhookEvent.decode(Data(body.utf8)) }
        }
    }

    /// Every string field of the envelope and of `data`, set to the hostile string at once, comes back unchanged.
    @Test("hostile strings in every string field")
    func hostile() throws {
        let stringFields: [(String, KeyPath<HMSWebhookData, String?>)] = [
            ("room_id", \.roomID), ("room_name", \.roomName), ("session_id", \.sessionID), ("peer_id", \.peerID),
            ("user_id", \.userID), ("user_name", \.userName), ("user_data", \.userData), ("role", \.role), ("type", \.peerType),
            ("beam_id", \.beamID), ("job_id", \.jobID), ("recording_id", \.recordingID), ("reason", \.reason),
            ("message", \.message), ("recording_path", \.recordingPath), ("recording_presigned_url", \.recordingPresignedURL),
            ("chat_recording_path", \.chatRecordingPath), ("chat_recording_presigned_url", \.chatRecordingPresignedURL),
            ("meeting_url", \.meetingURL), ("error", \.error), ("error_type", \.errorType), ("error_message", \.errorMessage),
            ("template_id", \.templateID), ("transcription_id", \.transcriptionID),
        ]
        let otherFields = ["duration", "size", "session_duration", "max_width", "max_height", "joined_at", "left_at", "started_at",
                           "stopped_at", "session_started_at", "session_stopped_at", "recording_enabled", "is_replay"]
        for text in HostileStrings.all {
            // An empty id or type is rejected (see "malformed bodies").
            guard !text.isEmpty else { continue }
            var data: [String: Any] = [text: text]
            for (name, _) in stringFields { data[name] = text }
            for name in otherFields { data[name] = text }
            for kind in HMSWebhookEvent.outputKinds {
                for suffix in ["_asset_id", "_path", "_presigned_url"] { data[kind + suffix] = text }
            }
            let envelope: [String: Any] = [
                "version": text, "id": text, "app_id": text, "account_id": text, "template_id": text, "timestamp": text,
                "type": text, "data": data, "is_replay": text,
            ]
            let event = try HMSWebhookEvent.decode(try JSONSerialization.data(withJSONObject: envelope))
            #expect(event.id == text && event.type == text && event.version == text && event.appID == text, "\(text.debugDescription)")
            #expect(event.accountID == text && event.templateID == text && event.timestamp == nil)
            for (name, path) in stringFields { #expect(event.data[keyPath: path] == text, "\(name) \(text.debugDescription)") }
            #expect(event.data.duration == nil && event.data.size == nil && event.data.sessionDuration == nil)
            #expect(event.data.maxWidth == nil && event.data.joinedAt == nil && event.data.recordingEnabled == nil)
            #expect(!event.data.isReplay)
            let output = HMSWebhookOutput(assetID: text, path: text, presignedURL: text)
            #expect(event.data.outputs == Dictionary(uniqueKeysWithValues: HMSWebhookEvent.outputKinds.map { ($0, output) }))
        }
    }
}
