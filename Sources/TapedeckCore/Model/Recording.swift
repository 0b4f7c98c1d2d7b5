import Foundation

/// One recording of a session, as kept in the catalog.
public struct Recording: Sendable, Equatable {
    public var id: UUID
    public var roomID: UUID
    public var roomName: String
    public var sessionID: UUID?
    public var sessionKey: String?
    public var provider: String
    public var title: String?
    public var providerRecordingID: String?
    public var status: RecordingStatus
    public var layout: String?
    public var audioOnly: Bool
    public var requestedBy: String?
    public var startedAt: Date?
    public var endedAt: Date?
    public var durationMs: Int64?
    public var sizeBytes: Int64?
    public var error: String?
    /// The recorder stopped at a duration or size limit: the file is usable but truncated.
    public var limitReached: Bool
    /// Kept from retention whatever its age.
    public var onHold: Bool = false
    /// When the recorder's files begin, as the provider reported it (egress lags the room by a
    /// few seconds); `nil` until known. Wall-clock cues are placed on the media by it.
    public var mediaStartedAt: Date? = nil
    /// The operator's correction added to wall-clock cues' media times.
    public var cueOffsetMs: Int64 = 0
    /// The measured first timestamp of its HLS segments, once post-processing probed them.
    public var hlsStartMs: Int64? = nil

    /// The stretches in which the recording was paused (normalized, oldest first): they are not
    /// in its media, and wall-clock cues are placed with them taken out.
    public var pauses: [PausedStretch] = []
    /// When the current pause began; nil when it is not paused. Only an active recording can be
    /// paused: one that stopped while paused is not (its last stretch lasts to its end).
    public var pausedAt: Date? {
        guard status.isActive, let last = pauses.last, last.endMs == nil else { return nil }
        return Date(millisecondsSince1970: last.startMs)
    }

    /// What wall-clock cues are measured from: the media start when known, else the start.
    public var cueTimelineOrigin: Date? { mediaStartedAt ?? startedAt }
    /// Name of the storage backend the objects were written to (`local`, `s3`, ...).
    public var storage: String
    /// Every object of the recording lives under this prefix.
    public var keyPrefix: String
    public var retainUntil: Date?
    /// What the recorder was asked for (JSON), when Tapedeck started it.
    public var requestJSON: String?
    public var maxDurationS: Int?
    public var createdAt: Date
    public var updatedAt: Date
    public var assets: [Asset]

    public init(
        id: UUID, roomID: UUID, roomName: String, sessionID: UUID? = nil, sessionKey: String? = nil,
        provider: String, title: String? = nil, providerRecordingID: String? = nil, status: RecordingStatus, layout: String? = nil,
        audioOnly: Bool = false, requestedBy: String? = nil, startedAt: Date? = nil, endedAt: Date? = nil,
        durationMs: Int64? = nil, sizeBytes: Int64? = nil, error: String? = nil, limitReached: Bool = false,
        storage: String, keyPrefix: String, retainUntil: Date? = nil, requestJSON: String? = nil,
        maxDurationS: Int? = nil, createdAt: Date, updatedAt: Date, assets: [Asset] = []
    ) {
        self.id = id
        self.roomID = roomID
        self.roomName = roomName
        self.sessionID = sessionID
        self.sessionKey = sessionKey
        self.provider = provider
        self.title = title
        self.providerRecordingID = providerRecordingID
        self.status = status
        self.layout = layout
        self.audioOnly = audioOnly
        self.requestedBy = requestedBy
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.sizeBytes = sizeBytes
        self.error = error
        self.limitReached = limitReached
        self.storage = storage
        self.keyPrefix = keyPrefix
        self.retainUntil = retainUntil
        self.requestJSON = requestJSON
        self.maxDurationS = maxDurationS
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.assets = assets
    }
}

/// What an asset of a recording is.
public enum AssetKind: String, Sendable, Codable, CaseIterable {
    /// HLS playlist (its segments live beside it under the same prefix).
    case hls
    case mp4
    /// Audio-only file (m4a, ogg, mp3).
    case audio
    case thumbnail
    case storyboard
    case captions
    case manifest
    /// The session's chat as the provider kept it (100ms: CSV), a file to download.
    case chat
    /// The provider's summary of the session (100ms: JSON), a file to download.
    case summary

    /// Files viewers download beside the media (never played).
    public static let sideFiles: Set<AssetKind> = [.chat, .summary]
}

/// A stored file belonging to a recording.
public struct Asset: Sendable, Equatable {
    public var id: Int64
    public var recordingID: UUID
    public var kind: AssetKind
    public var key: String
    public var contentType: String
    public var sizeBytes: Int64?
    public var durationMs: Int64?
    public var sha256: String?
    public var createdAt: Date

    public init(
        id: Int64, recordingID: UUID, kind: AssetKind, key: String, contentType: String, sizeBytes: Int64? = nil,
        durationMs: Int64? = nil, sha256: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.recordingID = recordingID
        self.kind = kind
        self.key = key
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.durationMs = durationMs
        self.sha256 = sha256
        self.createdAt = createdAt
    }
}
