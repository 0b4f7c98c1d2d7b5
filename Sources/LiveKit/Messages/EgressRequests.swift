import Foundation

/// Where egress uploads its output: an S3-compatible bucket (`S3Upload`).
public struct S3Upload: Encodable, Sendable, Equatable {
    public var accessKey: String
    public var secret: String
    public var sessionToken: String?
    public var region: String
    public var endpoint: String?
    public var bucket: String
    public var forcePathStyle: Bool

    public init(
        accessKey: String, secret: String, sessionToken: String? = nil, region: String, endpoint: String? = nil,
        bucket: String, forcePathStyle: Bool
    ) {
        self.accessKey = accessKey
        self.secret = secret
        self.sessionToken = sessionToken
        self.region = region
        self.endpoint = endpoint
        self.bucket = bucket
        self.forcePathStyle = forcePathStyle
    }

    enum CodingKeys: String, CodingKey {
        case accessKey = "access_key", secret, sessionToken = "session_token", region, endpoint, bucket
        case forcePathStyle = "force_path_style"
    }
}

/// Google Cloud Storage upload with a service-account key (`GCPUpload`).
public struct GCPUpload: Encodable, Sendable, Equatable {
    public var credentials: String
    public var bucket: String

    public init(credentials: String, bucket: String) {
        self.credentials = credentials
        self.bucket = bucket
    }
}

/// The upload destination of one output; `nil` fields are left out.
public enum UploadConfig: Sendable, Equatable {
    case s3(S3Upload)
    case gcp(GCPUpload)
    /// Egress writes local files (or uses its own configured storage).
    case none
}

/// An MP4 (or OGG/MP3) output (`EncodedFileOutput`).
public struct EncodedFileOutput: Encodable, Sendable, Equatable {
    public var fileType: String
    public var filepath: String
    public var disableManifest: Bool
    public var upload: UploadConfig

    public init(fileType: String = "MP4", filepath: String, disableManifest: Bool = true, upload: UploadConfig) {
        self.fileType = fileType
        self.filepath = filepath
        self.disableManifest = disableManifest
        self.upload = upload
    }

    enum CodingKeys: String, CodingKey {
        case fileType = "file_type", filepath, disableManifest = "disable_manifest", s3, gcp
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fileType, forKey: .fileType)
        try c.encode(filepath, forKey: .filepath)
        try c.encode(disableManifest, forKey: .disableManifest)
        switch upload {
        case .s3(let s3): try c.encode(s3, forKey: .s3)
        case .gcp(let gcp): try c.encode(gcp, forKey: .gcp)
        case .none: break
        }
    }
}

/// An HLS output (`SegmentedFileOutput`).
public struct SegmentedFileOutput: Encodable, Sendable, Equatable {
    public var filenamePrefix: String
    public var playlistName: String
    public var segmentDuration: Int
    public var disableManifest: Bool
    public var upload: UploadConfig

    public init(
        filenamePrefix: String, playlistName: String, segmentDuration: Int, disableManifest: Bool = true,
        upload: UploadConfig
    ) {
        self.filenamePrefix = filenamePrefix
        self.playlistName = playlistName
        self.segmentDuration = segmentDuration
        self.disableManifest = disableManifest
        self.upload = upload
    }

    enum CodingKeys: String, CodingKey {
        case protocolName = "protocol", filenamePrefix = "filename_prefix", playlistName = "playlist_name"
        case segmentDuration = "segment_duration", filenameSuffix = "filename_suffix"
        case disableManifest = "disable_manifest", s3, gcp
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("HLS_PROTOCOL", forKey: .protocolName)
        try c.encode(filenamePrefix, forKey: .filenamePrefix)
        try c.encode(playlistName, forKey: .playlistName)
        try c.encode(segmentDuration, forKey: .segmentDuration)
        try c.encode("INDEX", forKey: .filenameSuffix)
        try c.encode(disableManifest, forKey: .disableManifest)
        switch upload {
        case .s3(let s3): try c.encode(s3, forKey: .s3)
        case .gcp(let gcp): try c.encode(gcp, forKey: .gcp)
        case .none: break
        }
    }
}

/// `StartRoomCompositeEgress`'s request.
public struct RoomCompositeEgressRequest: Encodable, Sendable, Equatable {
    public var roomName: String
    public var layout: String?
    public var audioOnly: Bool
    public var preset: String?
    public var fileOutputs: [EncodedFileOutput]
    public var segmentOutputs: [SegmentedFileOutput]

    public init(
        roomName: String, layout: String? = nil, audioOnly: Bool = false, preset: String? = nil,
        fileOutputs: [EncodedFileOutput] = [], segmentOutputs: [SegmentedFileOutput] = []
    ) {
        self.roomName = roomName
        self.layout = layout
        self.audioOnly = audioOnly
        self.preset = preset
        self.fileOutputs = fileOutputs
        self.segmentOutputs = segmentOutputs
    }

    enum CodingKeys: String, CodingKey {
        case roomName = "room_name", layout, audioOnly = "audio_only", preset
        case fileOutputs = "file_outputs", segmentOutputs = "segment_outputs"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(roomName, forKey: .roomName)
        try c.encodeIfPresent(layout, forKey: .layout)
        if audioOnly { try c.encode(true, forKey: .audioOnly) }
        try c.encodeIfPresent(preset, forKey: .preset)
        if !fileOutputs.isEmpty { try c.encode(fileOutputs, forKey: .fileOutputs) }
        if !segmentOutputs.isEmpty { try c.encode(segmentOutputs, forKey: .segmentOutputs) }
    }
}

struct StopEgressRequest: Encodable {
    var egressID: String
    enum CodingKeys: String, CodingKey { case egressID = "egress_id" }
}

struct ListEgressRequest: Encodable {
    var roomName: String?
    var egressID: String?
    var active: Bool?
    enum CodingKeys: String, CodingKey { case roomName = "room_name", egressID = "egress_id", active }
}

struct UpdateLayoutRequest: Encodable {
    var egressID: String
    var layout: String
    enum CodingKeys: String, CodingKey { case egressID = "egress_id", layout }
}

struct ListRoomsRequest: Encodable {
    var names: [String]?
}

struct ListParticipantsRequest: Encodable {
    var room: String
}
