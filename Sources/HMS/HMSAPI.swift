import Foundation

/// 100ms' server API as Tapedeck uses it (base `https://api.100ms.live/v2`): browser-composite
/// recordings of a room, their assets, and presigned URLs to fetch the assets.
///
/// ``HMSRESTClient`` speaks it over HTTPS with a management token; tests use an in-memory fake.
/// Errors are ``HMSError``.
public protocol HMSAPI: Sendable {
    /// `POST /recordings/room/{room_id}/start`.
    func startRecording(roomID: String, _ request: HMSStartRequest) async throws -> HMSRecording
    /// `POST /recordings/room/{room_id}/stop`: every recording running in the room.
    func stopRecordings(roomID: String) async throws -> [HMSRecording]
    /// `POST /recordings/room/{room_id}/pause`: every recording running in the room stops
    /// writing until resumed; 100ms answers 404 when there is nothing to pause.
    func pauseRecordings(roomID: String) async throws -> [HMSRecording]
    /// `POST /recordings/room/{room_id}/resume`.
    func resumeRecordings(roomID: String) async throws -> [HMSRecording]
    /// `POST /recordings/{id}/stop`.
    func stopRecording(id: String) async throws -> HMSRecording
    /// `GET /recordings/{id}`.
    func recording(id: String) async throws -> HMSRecording
    /// `GET /recordings?room_id=&session_id=&status=`, every page.
    func recordings(roomID: String?, sessionID: String?, status: String?) async throws -> [HMSRecording]
    /// `GET /recording-assets?room_id=&session_id=`, every page.
    func assets(roomID: String?, sessionID: String?) async throws -> [HMSAsset]
    /// `GET /recording-assets/{id}`.
    func asset(id: String) async throws -> HMSAsset
    /// `GET /recording-assets/{id}/presigned-url?presign_duration=<seconds>`.
    func presignedURL(assetID: String, lifetime: Int) async throws -> HMSPresignedURL
}

/// A recording as 100ms reports it.
public struct HMSRecording: Sendable, Equatable {
    /// `starting`, `running`, `stopping`, `post_processing`, `completed`, `failed` (others kept as sent).
    public enum Status: Sendable, Equatable {
        case starting, running, stopping, postProcessing, completed, failed
        case other(String)

        public init(_ raw: String) {
            switch raw {
            case "starting": self = .starting
            case "running": self = .running
            case "stopping": self = .stopping
            case "post_processing": self = .postProcessing
            case "completed": self = .completed
            case "failed": self = .failed
            default: self = .other(raw)
            }
        }
    }

    public var id: String
    public var roomID: String
    public var sessionID: String?
    public var status: Status
    public var meetingURL: String?
    public var assetTypes: [String]
    /// `nil` until 100ms has some (and always in list answers).
    public var assets: [HMSAsset]?
    public var createdAt: Date?
    public var startedAt: Date?
    public var stoppedAt: Date?
    public var updatedAt: Date?
    /// Where the assets are uploaded, when 100ms says.
    public var destination: String?
    public var startedBy: String?
    public var stoppedBy: String?

    public init(
        id: String, roomID: String, sessionID: String? = nil, status: Status, meetingURL: String? = nil, assetTypes: [String] = [],
        assets: [HMSAsset]? = nil, createdAt: Date? = nil, startedAt: Date? = nil, stoppedAt: Date? = nil, updatedAt: Date? = nil
    ) {
        self.id = id
        self.roomID = roomID
        self.sessionID = sessionID
        self.status = status
        self.meetingURL = meetingURL
        self.assetTypes = assetTypes
        self.assets = assets
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
        self.updatedAt = updatedAt
    }
}

/// One file of a recording: the composite MP4 (`room-composite`), HLS (`room-vod`), chat,
/// transcripts (`metadata.output_mode` txt/srt/json), summary.
public struct HMSAsset: Sendable, Equatable {
    public var id: String
    public var jobID: String?
    public var roomID: String?
    public var sessionID: String?
    public var type: String
    /// `completed` or `failed`.
    public var status: String
    /// Where 100ms (or the customer's bucket) keeps it, e.g. `s3://bucket/path/file.mp4`.
    public var path: String?
    public var size: Int64?
    /// Seconds.
    public var duration: Double?
    public var createdAt: Date?
    /// For transcripts: `txt`, `srt` or `json`.
    public var outputMode: String?
    /// `metadata.resolution` of video assets.
    public var width: Int?
    public var height: Int?

    public init(
        id: String, jobID: String? = nil, roomID: String? = nil, sessionID: String? = nil, type: String, status: String,
        path: String? = nil, size: Int64? = nil, duration: Double? = nil, createdAt: Date? = nil, outputMode: String? = nil
    ) {
        self.id = id
        self.jobID = jobID
        self.roomID = roomID
        self.sessionID = sessionID
        self.type = type
        self.status = status
        self.path = path
        self.size = size
        self.duration = duration
        self.createdAt = createdAt
        self.outputMode = outputMode
    }
}

/// A URL to fetch an asset from, valid until `expiry`.
public struct HMSPresignedURL: Sendable, Equatable {
    public var id: String
    public var path: String?
    public var url: String
    public var expiry: Date?

    public init(id: String, path: String? = nil, url: String, expiry: Date? = nil) {
        self.id = id
        self.path = path
        self.url = url
        self.expiry = expiry
    }
}

/// What a start asks for; `nil` fields are left out of the body.
public struct HMSStartRequest: Sendable, Equatable {
    public var meetingURL: String?
    public var width: Int?
    public var height: Int?
    public var audioOnly: Bool?
    /// Transcripts in these modes (`txt`, `srt`, `json`); empty asks for none.
    public var transcriptModes: [String]

    public init(meetingURL: String? = nil, width: Int? = nil, height: Int? = nil, audioOnly: Bool? = nil, transcriptModes: [String] = []) {
        self.meetingURL = meetingURL
        self.width = width
        self.height = height
        self.audioOnly = audioOnly
        self.transcriptModes = transcriptModes
    }
}

/// An answer other than success: 100ms' `{code, message, details}`, or a transport failure.
public struct HMSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status (0 when no answer came).
    public var status: Int
    public var message: String
    public var details: [String]

    public init(status: Int, message: String, details: [String] = []) {
        self.status = status
        self.message = message
        self.details = details
    }

    public var isNotFound: Bool { status == 404 }

    public var description: String {
        "100ms answered \(status): \(message)" + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")
    }
}
