import Foundation
import Media

/// Media the recording tests feed to the real ffmpeg.
enum TestMedia {
    /// A real 4 s H.264/AAC MP4 (320x180, a keyframe a second), made once per test process.
    static let shortMP4 = Task<String, any Error> {
        let tools = try MediaTools.locate().get()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapedeck-short-\(UUID().uuidString).mp4").path
        _ = try await tools.ffmpeg.run(
            [
                "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15", "-f",
                "lavfi", "-i", "sine=frequency=440", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt",
                "yuv420p", "-c:a", "aac", path,
            ], timeout: 120)
        return path
    }
}
