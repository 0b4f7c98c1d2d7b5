import Foundation

/// What ffprobe says about a media file or URL.
public struct MediaInfo: Sendable, Equatable {
    public struct Stream: Sendable, Equatable {
        public var kind: String
        public var codec: String
        public var width: Int?
        public var height: Int?
    }

    public var durationMs: Int64?
    /// The first timestamp of the media (MPEG-TS from ffmpeg starts about 1.4 s in): HLS
    /// subtitles map their cue times onto it.
    public var startTimeMs: Int64? = nil
    public var sizeBytes: Int64?
    public var formatName: String
    public var streams: [Stream]

    public var video: Stream? { streams.first { $0.kind == "video" } }
    public var audio: Stream? { streams.first { $0.kind == "audio" } }

    /// Reads `ffprobe -print_format json -show_format -show_streams` output.
    public static func parse(ffprobeJSON data: Data) throws -> MediaInfo {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let format = root["format"] as? [String: Any]
        else { throw MediaToolError.unreadableOutput(tool: "ffprobe", detail: "no format section") }
        let streams = (root["streams"] as? [[String: Any]] ?? []).compactMap { stream -> Stream? in
            guard let kind = stream["codec_type"] as? String else { return nil }
            return Stream(
                kind: kind, codec: stream["codec_name"] as? String ?? "unknown", width: stream["width"] as? Int,
                height: stream["height"] as? Int)
        }
        let seconds = (format["duration"] as? String).flatMap(Double.init)
        var info = MediaInfo(
            durationMs: seconds.map { Int64(($0 * 1000).rounded()) }, sizeBytes: (format["size"] as? String).flatMap(Int64.init),
            formatName: format["format_name"] as? String ?? "unknown", streams: streams)
        if let start = (format["start_time"] as? String).flatMap(Double.init), start.isFinite, start >= 0, start < 1e9 {
            info.startTimeMs = Int64((start * 1000).rounded())
        }
        return info
    }
}
