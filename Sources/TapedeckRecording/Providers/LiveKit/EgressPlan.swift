import Foundation
import LiveKit
import ObjectStorage
import TapedeckCore

/// What a recording asks of the recorder; stored with the recording so a retry asks the same.
package struct EgressPlan: Codable, Sendable, Equatable {
    package var layout: String
    package var audioOnly: Bool
    package var outputs: [RecordingPolicy.Output]
    package var segmentDurationS: Int
    package var preset: String?

    package enum CodingKeys: String, CodingKey {
        case layout, audioOnly = "audio_only", outputs, segmentDurationS = "segment_duration_s", preset
    }

    package init(policy: RecordingPolicy) {
        self.init(
            layout: policy.layout, audioOnly: policy.audioOnly, outputs: policy.outputs,
            segmentDurationS: policy.segmentDurationS, preset: policy.preset)
    }

    package init(layout: String, audioOnly: Bool, outputs: [RecordingPolicy.Output], segmentDurationS: Int, preset: String?) {
        self.layout = layout
        self.audioOnly = audioOnly
        self.outputs = outputs
        self.segmentDurationS = segmentDurationS
        self.preset = preset
    }

    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }

    static package func decode(_ json: String?) -> EgressPlan? {
        json.flatMap { try? JSONDecoder().decode(EgressPlan.self, from: Data($0.utf8)) }
    }
}

/// Where egress writes a recording's files.
package enum EgressDestination: Sendable, Equatable {
    /// Straight into the bucket; paths carry the store's key prefix.
    case upload(UploadConfig, bucketKeyPrefix: String)
    /// Local files under this folder (as egress sees it); Tapedeck ingests them.
    case directory(remote: String, local: String)

    /// Derived from the storage configuration, so egress writes where Tapedeck reads.
    static package func from(storage: StorageSettings, livekit: LiveKitSettings) -> EgressDestination {
        func directory() -> EgressDestination {
            let local = livekit.egressDirectory ?? "/tmp/tapedeck-egress"
            return .directory(remote: livekit.egressDirectoryRemote ?? local, local: local)
        }
        switch storage {
        case .s3(let configuration):
            return .upload(.s3(s3Upload(configuration)), bucketKeyPrefix: configuration.keyPrefix)
        case .gcs(let configuration, let accountFile):
            if let accountFile, let credentials = try? String(contentsOfFile: accountFile, encoding: .utf8) {
                return .upload(
                    .gcp(GCPUpload(credentials: credentials, bucket: configuration.bucket)),
                    bucketKeyPrefix: configuration.keyPrefix)
            }
            // GCS's XML API takes S3 uploads signed with HMAC keys.
            return .upload(.s3(s3Upload(configuration)), bucketKeyPrefix: configuration.keyPrefix)
        case .local, .supabase:
            return directory()
        }
    }

    static package func s3Upload(_ c: S3Configuration) -> S3Upload {
        S3Upload(
            accessKey: c.credentials.accessKeyID, secret: c.credentials.secretAccessKey,
            sessionToken: c.credentials.sessionToken, region: c.region, endpoint: c.endpoint, bucket: c.bucket,
            forcePathStyle: c.forcePathStyle)
    }

    /// The path egress is given for a key under the recording's prefix.
    package func path(_ key: String) -> String {
        switch self {
        case .upload(_, let prefix): prefix + key
        case .directory(let remote, _): (remote.hasSuffix("/") ? remote : remote + "/") + key
        }
    }

    /// The object key (relative to the store) of a path egress reports, if it is one of ours.
    package func key(forReportedPath path: String) -> String? {
        switch self {
        case .upload(_, let prefix):
            // `location` can be malformed with custom endpoints; the reported name is the path we gave.
            return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : (prefix.isEmpty ? path : nil)
        case .directory(let remote, _):
            let base = remote.hasSuffix("/") ? remote : remote + "/"
            return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : nil
        }
    }

    /// Where Tapedeck finds a key's file, when egress writes local files.
    package func localFile(_ key: String) -> String? {
        guard case .directory(_, let local) = self else { return nil }
        return (local.hasSuffix("/") ? local : local + "/") + key
    }

    package var upload: UploadConfig {
        if case .upload(let config, _) = self { return config }
        return .none
    }
}

/// The `StartRoomCompositeEgress` request for a recording: HLS and/or MP4 under
/// `{room}/{session_key}/` (`index.m3u8`, `segment_00000.ts`..., `session.mp4`).
package enum EgressRequestBuilder {
    static package let playlistName = "index.m3u8"
    static package let segmentPrefix = "segment"
    static package let fileName = "session.mp4"

    static package func request(
        room: String, keyPrefix: String, plan: EgressPlan, destination: EgressDestination
    ) -> RoomCompositeEgressRequest {
        var request = RoomCompositeEgressRequest(
            roomName: room, layout: plan.layout, audioOnly: plan.audioOnly, preset: plan.preset)
        if plan.outputs.contains(.mp4) {
            request.fileOutputs = [
                EncodedFileOutput(filepath: destination.path(keyPrefix + fileName), upload: destination.upload)
            ]
        }
        if plan.outputs.contains(.hls) {
            request.segmentOutputs = [
                SegmentedFileOutput(
                    filenamePrefix: destination.path(keyPrefix + segmentPrefix),
                    playlistName: destination.path(keyPrefix + playlistName), segmentDuration: plan.segmentDurationS,
                    upload: destination.upload)
            ]
        }
        return request
    }
}
