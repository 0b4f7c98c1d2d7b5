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
