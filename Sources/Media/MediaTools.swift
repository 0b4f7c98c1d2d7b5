import Foundation

/// ffprobe and ffmpeg operations on recordings: probe, thumbnail, and remuxing between HLS and
/// MP4 without re-encoding. Inputs are paths or URLs (ffmpeg reads signed HTTP URLs directly).
public struct MediaTools: Sendable {
    public let ffmpeg: ToolRunner
    public let ffprobe: ToolRunner
    /// Longest a single tool run may take.
    public var timeout: Double

    /// - Parameter niceness: of the post-processing runs (a recording started with ``record`` keeps
    ///   normal priority: it cannot fall behind a live input).
    public init(ffmpeg: String, ffprobe: String, timeout: Double = 3600, niceness: Int32 = 10) {
        self.ffmpeg = ToolRunner(executable: ffmpeg, niceness: niceness)
        self.ffprobe = ToolRunner(executable: ffprobe, niceness: niceness)
        self.timeout = timeout
    }

    /// The installed tools, or the reason they cannot be used.
    public static func locate() -> Result<MediaTools, MediaToolError> {
        guard let ffmpeg = ToolRunner.locate("ffmpeg") else { return .failure(.missing("ffmpeg")) }
        guard let ffprobe = ToolRunner.locate("ffprobe") else { return .failure(.missing("ffprobe")) }
        return .success(MediaTools(ffmpeg: ffmpeg, ffprobe: ffprobe))
    }

    static let quiet = ["-hide_banner", "-nostdin", "-loglevel", "error"]

    public func probe(_ input: String) async throws -> MediaInfo {
        let output = try await ffprobe.run(
            ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", input], timeout: min(timeout, 300))
        return try MediaInfo.parse(ffprobeJSON: output)
    }

    /// A JPEG `width` pixels wide from `atSeconds` into the input.
    public func thumbnail(_ input: String, atSeconds: Double, width: Int = 640, output: String) async throws {
        _ = try await ffmpeg.run(
            Self.quiet + ["-y", "-ss", String(format: "%.3f", max(0, atSeconds)), "-i", input, "-frames:v", "1",
                          "-vf", "scale=\(width):-2", "-q:v", "3", output],
            timeout: min(timeout, 300))
    }

    /// HLS (`index.m3u8` and `segment_00000.ts`...) in `directory`, from an MP4, streams copied.
    public func hls(from input: String, segmentSeconds: Int = 6, directory: String) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try await ffmpeg.run(
            Self.quiet + ["-y", "-i", input, "-c", "copy", "-f", "hls", "-hls_time", String(segmentSeconds),
                          "-hls_playlist_type", "vod", "-hls_segment_filename", directory + "/segment_%05d.ts",
                          directory + "/index.m3u8"],
            timeout: timeout)
    }

    /// An MP4 (faststart) from an HLS playlist, streams copied.
    public func mp4(from input: String, output: String) async throws {
        _ = try await ffmpeg.run(
            // ffmpeg's default extension list (ts, m4s, aac, ...) is all a recording's segments
            // need; `ALL` would let a playlist name any local file.
            Self.quiet + ["-y", "-protocol_whitelist", "file,http,https,tcp,tls,crypto",
                          "-i", input, "-c", "copy", "-movflags", "+faststart", output],
            timeout: timeout)
    }
}
