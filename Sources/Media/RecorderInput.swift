import Foundation

/// What the local recorder records: a URL ffmpeg can read, or the built-in test source.
public enum RecorderInput: Sendable, Equatable {
    /// `synthetic://`: a moving test pattern with a running clock, and a beeping tone.
    case synthetic
    /// `file:///path`: a local media file, played at its own pace as if it were live.
    case file(path: String)
    /// `rtmp://`, `rtmps://`, `rtsp://`, `srt://`, `http(s)://` (HLS or a file).
    case stream(url: String)

    public static let schemes = ["synthetic", "file", "rtmp", "rtmps", "rtsp", "srt", "http", "https"]

    /// Parses and checks an input URL; the error says what is accepted.
    public static func parse(_ text: String) -> Result<RecorderInput, InputProblem> {
        guard !text.isEmpty, text.utf8.count <= 2048,
            !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }),
            let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://")
        else { return .failure(InputProblem("input must be a URL such as synthetic://, file:///path or rtmp://host/app/key")) }
        let scheme = text[..<colon].lowercased()
        guard schemes.contains(scheme) else {
            return .failure(InputProblem("input scheme \(scheme.prefix(20)) is not supported; use one of \(schemes.joined(separator: ", "))"))
        }
        switch scheme {
        case "synthetic":
            return .success(.synthetic)
        case "file":
            guard let path = URL(string: text)?.path, path.hasPrefix("/") else {
                return .failure(InputProblem("a file:// input needs an absolute path, as in file:///srv/talk.mp4"))
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                return .failure(InputProblem("\(path) does not exist or is not readable"))
            }
            return .success(.file(path: path))
        default:
            guard let host = URLComponents(string: text)?.host, !host.isEmpty else {
                return .failure(InputProblem("input \(scheme):// URL needs a host"))
            }
            return .success(.stream(url: text))
        }
    }

    /// ffmpeg's input options for this source.
    var ffmpegInput: [String] {
        switch self {
        case .synthetic:
            // testsrc draws a running timestamp; the sine beeps once a second. -re paces it in real time.
            return ["-re", "-f", "lavfi", "-i", "testsrc=size=1280x720:rate=30",
                    "-re", "-f", "lavfi", "-i", "sine=frequency=440:beep_factor=4:sample_rate=48000"]
        case .file(let path):
            return ["-re", "-i", path]
        case .stream(let url):
            var options = ["-rw_timeout", "15000000"]
            if url.lowercased().hasPrefix("rtsp") { options += ["-rtsp_transport", "tcp"] }
            return options + ["-i", url]
        }
    }
}

public struct InputProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension MediaTools {
    /// The arguments that record `input` into `directory/index.m3u8` and its 6 s segments: H.264
    /// and AAC (what every browser and HLS player takes), a keyframe every 2 s so segments cut
    /// cleanly, and a playlist rewritten after each segment so a crash loses at most the last one.
    public static func recordArguments(_ input: RecorderInput, maxDurationS: Int?, directory: String) -> [String] {
        // Not `quiet`: that has -nostdin, and stdin is how the recorder is told to stop.
        var arguments = ["-hide_banner", "-loglevel", "error", "-y"] + input.ffmpegInput
        if let maxDurationS { arguments += ["-t", String(maxDurationS)] }
        arguments += [
            "-map", "0:v:0?", "-map", input == .synthetic ? "1:a:0" : "0:a:0?",
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
            "-force_key_frames", "expr:gte(t,n_forced*2)", "-c:a", "aac", "-b:a", "128k", "-ar", "48000",
            "-f", "hls", "-hls_time", "6", "-hls_playlist_type", "event", "-hls_flags", "independent_segments",
            "-hls_segment_filename", directory + "/segment_%05d.ts", directory + "/index.m3u8",
        ]
        return arguments
    }

    /// Starts recording; stop it with ``RunningTool/interrupt()``.
    public func record(_ input: RecorderInput, maxDurationS: Int?, directory: String) throws -> RunningTool {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try ffmpeg.launch(Self.recordArguments(input, maxDurationS: maxDurationS, directory: directory))
    }
}
