import Foundation
import Testing
import TestSupport
@testable import Media

/// The media operations on real files made by real ffmpeg, checked with ffprobe.
@Suite("ffprobe and ffmpeg", .serialized)
struct MediaToolsTests {
    static let tools: MediaTools? = try? MediaTools.locate().get()

    /// A 12 s 640x360 H.264/AAC MP4 with 2 s keyframes.
    static func source(in directory: TemporaryDirectory) async throws -> String {
        let path = directory.path + "/source.mp4"
        _ = try await tools!.ffmpeg.run(
            MediaTools.quiet + ["-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15", "-f", "lavfi", "-i",
                                "sine=frequency=440", "-t", "12", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
                                "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart", path],
            timeout: 120)
        return path
    }

    /// ffprobe's own reading of one entry, independent of MediaInfo's parser.
    static func ffprobe(_ entries: String, _ input: String, stream: String? = nil, lavfi: Bool = false) async throws -> String {
        var arguments = ["-v", "error"] + (lavfi ? ["-f", "lavfi"] : [])
        if let stream { arguments += ["-select_streams", stream] }
        arguments += ["-show_entries", entries, "-of", "default=noprint_wrappers=1:nokey=1", input]
        // MPEG-TS lists its streams under its program too: the first line is the stream's own.
        let text = String(decoding: try await tools!.ffprobe.run(arguments, timeout: 60), as: UTF8.self)
        return String(text.split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
    }

    @Test(.requiresFFmpeg)
    func probeMatchesFfprobe() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let input = try await Self.source(in: directory)
        let info = try await Self.tools!.probe(input)
        let seconds = try #require(Double(try await Self.ffprobe("format=duration", input)))
        #expect(info.durationMs == Int64((seconds * 1000).rounded()))
        #expect(info.sizeBytes == Int64(try await Self.ffprobe("format=size", input)))
        #expect(info.video?.codec == "h264" && info.video?.width == 640 && info.video?.height == 360)
        #expect(info.audio?.codec == "aac")
    }

    @Test(.requiresFFmpeg)
    func thumbnailIsAJPEG640Wide() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let input = try await Self.source(in: directory)
        let output = directory.path + "/thumb.jpg"
        try await Self.tools!.thumbnail(input, atSeconds: 1.2, output: output)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect(bytes.prefix(3) == Data([0xFF, 0xD8, 0xFF]))
        #expect(try await Self.ffprobe("stream=width", output) == "640")
        #expect(try await Self.ffprobe("stream=codec_name", output) == "mjpeg")
    }

    @Test(.requiresFFmpeg)
    func hlsAndMP4RemuxKeepTheDuration() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let input = try await Self.source(in: directory)
        let source = try #require(Double(try await Self.ffprobe("format=duration", input)))
        try await Self.tools!.hls(from: input, segmentSeconds: 6, directory: directory.path + "/hls")
        let playlist = try String(contentsOfFile: directory.path + "/hls/index.m3u8", encoding: .utf8)
        #expect(playlist.hasPrefix("#EXTM3U") && playlist.contains("#EXT-X-ENDLIST"))
        let segments = playlist.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(segments.first == "segment_00000.ts" && segments.count >= 2)
        for segment in segments {
            #expect(try await Self.ffprobe("stream=codec_name", directory.path + "/hls/" + segment, stream: "v:0") == "h264")
        }
        let hls = try #require(Double(try await Self.ffprobe("format=duration", directory.path + "/hls/index.m3u8")))
        #expect(abs(hls - source) <= 6)
        try await Self.tools!.mp4(from: directory.path + "/hls/index.m3u8", output: directory.path + "/back.mp4")
        let back = try #require(Double(try await Self.ffprobe("format=duration", directory.path + "/back.mp4")))
        #expect(abs(back - source) < 0.5)
        #expect(try await Self.ffprobe("stream=codec_name", directory.path + "/back.mp4", stream: "a:0") == "aac")
    }

    @Test(.requiresFFmpeg)
    func failuresCarryTheEndOfStderr() async throws {
        do {
            _ = try await Self.tools!.probe("/nonexistent/recording.mp4")
            Issue.record("probing a missing file succeeded")
        } catch let MediaToolError.failed(tool, status, stderr) {
            #expect(tool == "ffprobe" && status != 0)
            #expect(stderr.contains("No such file or directory"))
        }
    }

    @Test func backgroundRunsAreNiced() async throws {
        // The priority is set just after the start, hence the pause before asking.
        let shell = ToolRunner(executable: "/bin/sh", niceness: 7)
        let out = try await shell.run(["-c", "sleep 0.3; nice"], timeout: 10)
        #expect(String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "7")
        #expect(MediaTools(ffmpeg: "/usr/bin/ffmpeg", ffprobe: "/usr/bin/ffprobe").ffmpeg.niceness == 10)
    }

    @Test func timeoutsStopTheTool() async throws {
        let sleeper = ToolRunner(executable: "/bin/sleep")
        let started = ContinuousClock.now
        await #expect(throws: MediaToolError.self) { try await sleeper.run(["30"], timeout: 0.5) }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func cancellationStopsTheTool() async throws {
        let sleeper = ToolRunner(executable: "/bin/sleep")
        let started = ContinuousClock.now
        let task = Task { try await sleeper.run(["30"], timeout: 60) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aMissingToolIsNamed() async throws {
        #expect(ToolRunner.locate("ffmpeg-that-does-not-exist") == nil)
        await #expect(throws: MediaToolError.missing("nope")) {
            try await ToolRunner(executable: "/nonexistent/nope").run([], timeout: 5)
        }
    }
}
