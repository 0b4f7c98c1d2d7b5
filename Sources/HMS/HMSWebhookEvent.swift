import Foundation

/// A 100ms webhook: the envelope and the `data` fields Tapedeck reads (every one optional; 100ms
/// leaves some out and its docs disagree on a few types).
public struct HMSWebhookEvent: Sendable, Equatable {
    /// The de-duplication key.
    public var id: String
    /// `session.open.success`, `peer.join.success`, `beam.recording.success`, ...
    public var type: String
    public var version: String?
    public var timestamp: Date?
    public var data: HMSWebhookData
    public var appID: String?
    public var accountID: String?
    public var templateID: String?

    public init(id: String, type: String, version: String? = "2.0", timestamp: Date? = nil, data: HMSWebhookData = .init()) {
        self.id = id
        self.type = type
        self.version = version
        self.timestamp = timestamp
        self.data = data
    }
}

public struct HMSWebhookData: Sendable, Equatable {
    public var roomID: String?
    public var roomName: String?
    public var sessionID: String?
    public var sessionStartedAt: Date?
    public var sessionStoppedAt: Date?
    public var peerID: String?
    public var userID: String?
    public var userName: String?
    public var role: String?
    /// `regular` or `sip`.
    public var peerType: String?
    public var joinedAt: Date?
    public var leftAt: Date?
    public var beamID: String?
    public var jobID: String?
    public var recordingID: String?
    public var duration: Double?
    public var size: Int64?
    public var reason: String?
    public var recordingPath: String?
    public var errorType: String?
    public var errorMessage: String?
    /// Sent again through 100ms' replay API.
    public var isReplay: Bool

    public var templateID: String?
    /// What the app set on the peer (a string, often JSON).
    public var userData: String?
    /// `session.close.success`: seconds.
    public var sessionDuration: Double?
    /// `peer.leave.success`: the text beside `reason`.
    public var message: String?
    public var recordingEnabled: Bool?
    public var meetingURL: String?
    public var maxWidth: Int?
    public var maxHeight: Int?
    /// `beam.recording.success`: when the recording ran.
    public var startedAt: Date?
    public var stoppedAt: Date?
    /// Valid for a limited time (24 h for SFU recordings).
    public var recordingPresignedURL: String?
    public var chatRecordingPath: String?
    public var chatRecordingPresignedURL: String?
    /// `recording.failed`: 100ms' description of the failure.
    public var error: String?
    public var transcriptionID: String?
    /// `transcription.success`: the files by kind (`transcript_json`, `transcript_srt`,
    /// `transcript_txt`, `summary_json`), each present when any of its fields was sent.
    public var outputs: [String: HMSWebhookOutput] = [:]

    public init(
        roomID: String? = nil, roomName: String? = nil, sessionID: String? = nil, sessionStartedAt: Date? = nil,
        sessionStoppedAt: Date? = nil, peerID: String? = nil, userID: String? = nil, userName: String? = nil, role: String? = nil,
        peerType: String? = nil, joinedAt: Date? = nil, leftAt: Date? = nil, beamID: String? = nil, jobID: String? = nil,
        recordingID: String? = nil, duration: Double? = nil, size: Int64? = nil, reason: String? = nil, recordingPath: String? = nil,
        errorType: String? = nil, errorMessage: String? = nil, isReplay: Bool = false
    ) {
        self.roomID = roomID
        self.roomName = roomName
        self.sessionID = sessionID
        self.sessionStartedAt = sessionStartedAt
        self.sessionStoppedAt = sessionStoppedAt
        self.peerID = peerID
        self.userID = userID
        self.userName = userName
        self.role = role
        self.peerType = peerType
        self.joinedAt = joinedAt
        self.leftAt = leftAt
        self.beamID = beamID
        self.jobID = jobID
        self.recordingID = recordingID
        self.duration = duration
        self.size = size
        self.reason = reason
        self.recordingPath = recordingPath
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.isReplay = isReplay
    }
}

/// One file a `transcription.success` names: `<kind>_asset_id`, `<kind>_path`, `<kind>_presigned_url`.
public struct HMSWebhookOutput: Sendable, Equatable {
    public var assetID: String?
    public var path: String?
    public var presignedURL: String?

    public init(assetID: String? = nil, path: String? = nil, presignedURL: String? = nil) {
        self.assetID = assetID
        self.path = path
        self.presignedURL = presignedURL
    }
}

extension HMSWebhookEvent {
    /// The kinds of file a `transcription.success` may name.
    public static let outputKinds = ["transcript_json", "transcript_srt", "transcript_txt", "summary_json"]

    /// Reads a webhook body of either envelope version ("1.0" or "2.0"). Unknown fields are
    /// ignored and fields of the wrong type read as absent; only a missing `id` or `type` fails.
    public static func decode(_ data: Data) throws(HMSDecodeError) -> HMSWebhookEvent {
        guard let json = HMSJSON(data: data) else { throw .notJSON }
        guard let id = json.string("id"), !id.isEmpty else { throw .missingField("id") }
        guard let type = json.string("type", "event"), !type.isEmpty else { throw .missingField("type") }
        let version: String? =
            switch json.raw("version") {
            case .string(let text)?: text
            case .integer(let number)?: "\(number).0"
            case .number(let number)?: "\(number)"
            default: nil
            }
        let body = json.object("data") ?? HMSJSON([:])
        var event = HMSWebhookEvent(
            id: id, type: type, version: version, timestamp: json.date("timestamp"), data: HMSWebhookData(body: body))
        event.appID = json.string("app_id")
        event.accountID = json.string("account_id")
        event.templateID = json.string("template_id")
        if json.bool("is_replay") == true { event.data.isReplay = true }
        return event
    }
}

extension HMSWebhookData {
    init(body: HMSJSON) {
        self.init(
            roomID: body.string("room_id"), roomName: body.string("room_name"), sessionID: body.string("session_id"),
            sessionStartedAt: body.date("session_started_at"), sessionStoppedAt: body.date("session_stopped_at"),
            peerID: body.string("peer_id"), userID: body.string("user_id"), userName: body.string("user_name"),
            role: body.string("role"), peerType: body.string("type", "peer_type"), joinedAt: body.date("joined_at"),
            leftAt: body.date("left_at"), beamID: body.string("beam_id"), jobID: body.string("job_id"),
            recordingID: body.string("recording_id"), duration: body.double("duration"), size: body.int64("size"),
            reason: body.string("reason"), recordingPath: body.string("recording_path"),
            errorType: body.string("error_type"), errorMessage: body.string("error_message"),
            isReplay: body.bool("is_replay") ?? false)
        templateID = body.string("template_id")
        userData = body.string("user_data")
        sessionDuration = body.double("session_duration")
        message = body.string("message")
        recordingEnabled = body.bool("recording_enabled")
        meetingURL = body.string("meeting_url")
        maxWidth = body.int("max_width")
        maxHeight = body.int("max_height")
        startedAt = body.date("started_at")
        stoppedAt = body.date("stopped_at")
        recordingPresignedURL = body.string("recording_presigned_url")
        chatRecordingPath = body.string("chat_recording_path")
        chatRecordingPresignedURL = body.string("chat_recording_presigned_url")
        error = body.string("error") ?? body.object("error")?.string("message")
        transcriptionID = body.string("transcription_id")
        for kind in HMSWebhookEvent.outputKinds {
            let output = HMSWebhookOutput(
                assetID: body.string(kind + "_asset_id"), path: body.string(kind + "_path"),
                presignedURL: body.string(kind + "_presigned_url"))
            if output != HMSWebhookOutput() { outputs[kind] = output }
        }
    }
}
