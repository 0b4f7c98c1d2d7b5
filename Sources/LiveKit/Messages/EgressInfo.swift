import Foundation

/// The status of an egress, as numbered in LiveKit's protocol.
public enum EgressStatus: Int, Sendable, CaseIterable {
    case starting = 0
    case active = 1
    case ending = 2
    case complete = 3
    case failed = 4
    case aborted = 5
    case limitReached = 6

    static let names = [
        "EGRESS_STARTING", "EGRESS_ACTIVE", "EGRESS_ENDING", "EGRESS_COMPLETE", "EGRESS_FAILED", "EGRESS_ABORTED",
        "EGRESS_LIMIT_REACHED",
    ]

    public var name: String { Self.names[rawValue] }

    public var hasEnded: Bool { rawValue >= 3 }
}

/// A finished file output (MP4, OGG, MP3). Times and duration in nanoseconds.
public struct FileResult: Sendable, Equatable {
    public var filename: String
    public var startedAtNs: Int64?
    public var endedAtNs: Int64?
    public var durationNs: Int64?
    public var size: Int64?
    public var location: String?
}

/// A finished HLS output. Times and duration in nanoseconds.
public struct SegmentsResult: Sendable, Equatable {
    public var playlistName: String
    public var livePlaylistName: String?
    public var durationNs: Int64?
    public var size: Int64?
    public var segmentCount: Int64?
    public var playlistLocation: String?
    public var startedAtNs: Int64?
    public var endedAtNs: Int64?

    public init(
        playlistName: String, livePlaylistName: String? = nil, durationNs: Int64? = nil, size: Int64? = nil,
        segmentCount: Int64? = nil, playlistLocation: String? = nil, startedAtNs: Int64? = nil, endedAtNs: Int64? = nil
    ) {
        self.playlistName = playlistName
        self.livePlaylistName = livePlaylistName
        self.durationNs = durationNs
        self.size = size
        self.segmentCount = segmentCount
        self.playlistLocation = playlistLocation
        self.startedAtNs = startedAtNs
        self.endedAtNs = endedAtNs
    }
}

/// What LiveKit reports about an egress (`EgressInfo`).
///
/// Every `*_at` and `duration` here is in nanoseconds since the epoch. A missing `status` means
/// STARTING (protobuf JSON omits zero values).
public struct EgressInfo: Sendable, Equatable {
    public var egressID: String
    public var roomID: String?
    public var roomName: String?
    public var status: EgressStatus
    public var startedAtNs: Int64?
    public var endedAtNs: Int64?
    public var updatedAtNs: Int64?
    public var error: String?
    public var errorCode: Int64?
    public var details: String?
    public var fileResults: [FileResult]
    public var segmentResults: [SegmentsResult]
    public var backupStorageUsed: Bool
    public var manifestLocation: String?
    /// The output paths of the room-composite request this egress runs, or `nil` when it runs
    /// another kind of request (track, participant, web: never one Tapedeck starts).
    public var roomCompositePaths: [String]?
    /// Whether the report names a request of another kind (track, participant, web, ...).
    public var runsOtherRequest: Bool

    public init(
        egressID: String, roomID: String? = nil, roomName: String? = nil, status: EgressStatus,
        startedAtNs: Int64? = nil, endedAtNs: Int64? = nil, updatedAtNs: Int64? = nil, error: String? = nil,
        errorCode: Int64? = nil, details: String? = nil, fileResults: [FileResult] = [],
        segmentResults: [SegmentsResult] = [], backupStorageUsed: Bool = false, manifestLocation: String? = nil,
        roomCompositePaths: [String]? = nil
    ) {
        self.roomCompositePaths = roomCompositePaths
        self.runsOtherRequest = false
        self.egressID = egressID
        self.roomID = roomID
        self.roomName = roomName
        self.status = status
        self.startedAtNs = startedAtNs
        self.endedAtNs = endedAtNs
        self.updatedAtNs = updatedAtNs
        self.error = error
        self.errorCode = errorCode
        self.details = details
        self.fileResults = fileResults
        self.segmentResults = segmentResults
        self.backupStorageUsed = backupStorageUsed
        self.manifestLocation = manifestLocation
    }

    public init?(_ json: ProtoJSON) {
        guard let id = json.string("egress_id"), !id.isEmpty else { return nil }
        egressID = id
        roomID = json.string("room_id")
        roomName = json.string("room_name")
        status = json.enumValue("status", names: EgressStatus.names).flatMap(EgressStatus.init(rawValue:)) ?? .starting
        startedAtNs = json.int64("started_at").flatMap(Self.nonZero)
        endedAtNs = json.int64("ended_at").flatMap(Self.nonZero)
        updatedAtNs = json.int64("updated_at").flatMap(Self.nonZero)
        error = json.string("error").flatMap { $0.isEmpty ? nil : $0 }
        errorCode = json.int64("error_code").flatMap(Self.nonZero)
        details = json.string("details").flatMap { $0.isEmpty ? nil : $0 }
        backupStorageUsed = json.bool("backup_storage_used")
        manifestLocation = json.string("manifest_location").flatMap { $0.isEmpty ? nil : $0 }
        var files = json.objects("file_results").compactMap(Self.file)
        // The deprecated single-output fields are still filled; read them when the lists are empty.
        if files.isEmpty, let single = json.object("file").flatMap(Self.file) { files = [single] }
        fileResults = files
        var segments = json.objects("segment_results").compactMap(Self.segments)
        if segments.isEmpty, let single = json.object("segments").flatMap(Self.segments) { segments = [single] }
        segmentResults = segments
        roomCompositePaths = json.object("room_composite").map(Self.requestedPaths)
        runsOtherRequest = ["web", "participant", "track_composite", "track"].contains { json.object($0) != nil }
    }

    /// Where a room-composite request asks its outputs to go (the list fields and the deprecated
    /// single ones).
    static func requestedPaths(_ request: ProtoJSON) -> [String] {
        let files = request.objects("file_outputs") + [request.object("file")].compactMap { $0 }
        let segments = request.objects("segment_outputs") + [request.object("segments")].compactMap { $0 }
        return (files.compactMap { $0.string("filepath") }
            + segments.flatMap { [$0.string("playlist_name"), $0.string("filename_prefix")].compactMap { $0 } })
            .filter { !$0.isEmpty }
    }

    static func nonZero(_ value: Int64) -> Int64? { value == 0 ? nil : value }

    static func file(_ json: ProtoJSON) -> FileResult? {
        guard let filename = json.string("filename"), !filename.isEmpty else { return nil }
        return FileResult(
            filename: filename, startedAtNs: json.int64("started_at").flatMap(nonZero),
            endedAtNs: json.int64("ended_at").flatMap(nonZero), durationNs: json.int64("duration"),
            size: json.int64("size"), location: json.string("location"))
    }

    static func segments(_ json: ProtoJSON) -> SegmentsResult? {
        guard let playlist = json.string("playlist_name"), !playlist.isEmpty else { return nil }
        return SegmentsResult(
            playlistName: playlist, livePlaylistName: json.string("live_playlist_name").flatMap { $0.isEmpty ? nil : $0 },
            durationNs: json.int64("duration"), size: json.int64("size"), segmentCount: json.int64("segment_count"),
            playlistLocation: json.string("playlist_location"), startedAtNs: json.int64("started_at").flatMap(nonZero),
            endedAtNs: json.int64("ended_at").flatMap(nonZero))
    }

    /// Milliseconds of recording: the reported duration when it is positive, else end minus start.
    public static func durationMs(reportedNs: Int64?, startedAtNs: Int64?, endedAtNs: Int64?) -> Int64? {
        if let reportedNs, reportedNs > 0 { return reportedNs / 1_000_000 }
        if let startedAtNs, let endedAtNs, endedAtNs > startedAtNs { return (endedAtNs - startedAtNs) / 1_000_000 }
        return nil
    }
}
