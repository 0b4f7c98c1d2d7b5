import Foundation

/// Where the frames of a hover-preview storyboard sit: one small frame every `intervalSeconds`,
/// laid out left to right, top to bottom in a single sprite sheet, indexed by a WebVTT file whose
/// cues point at `sprite#xywh=x,y,w,h` (the form players such as video.js and Plyr read).
///
/// Pure: the sheet's size is known before ffmpeg draws it, so the index and the check of what
/// ffmpeg produced come from the same numbers.
public struct StoryboardLayout: Sendable, Equatable {
    public var durationMs: Int64
    public var intervalSeconds: Int
    public var tileCount: Int
    public var columns: Int
    public var rows: Int
    public var tileWidth: Int
    public var tileHeight: Int

    /// At most this many frames: a 10 x 10 sheet of 160 px frames is about 1600 x 900 px.
    public static let maximumTiles = 100
    public static let defaultTileWidth = 160
    /// Recordings made by Tapedeck have a keyframe every 2 s; closer frames would repeat.
    public static let minimumIntervalSeconds = 2

    public init?(durationMs: Int64, videoWidth: Int, videoHeight: Int, tileWidth: Int = defaultTileWidth) {
        guard durationMs > 0, videoWidth > 0, videoHeight > 0, tileWidth >= 16 else { return nil }
        let seconds = Double(durationMs) / 1000
        let interval = max(Self.minimumIntervalSeconds, Int((seconds / Double(Self.maximumTiles)).rounded(.up)))
        // A last stretch shorter than a quarter interval joins the cue before it, rather than
        // getting a frame of its own for a few milliseconds of video.
        let count = min(Self.maximumTiles, max(1, Int((seconds / Double(interval) - 0.25).rounded(.up))))
        self.durationMs = durationMs
        self.intervalSeconds = interval
        self.tileCount = count
        self.columns = min(10, count)
        self.rows = (count + columns - 1) / columns
        self.tileWidth = tileWidth
        // Even, as the JPEG encoder's chroma subsampling wants, and never zero.
        let height = Int((Double(tileWidth) * Double(videoHeight) / Double(videoWidth) / 2).rounded()) * 2
        self.tileHeight = max(2, height)
    }

    public var sheetWidth: Int { columns * tileWidth }
    public var sheetHeight: Int { rows * tileHeight }

    /// The ffmpeg filter that draws the sheet from the input's frames (`eof_action=pass`: the
    /// frame of the last interval is otherwise dropped at the end of the input).
    public var filter: String {
        "fps=1/\(intervalSeconds):eof_action=pass,scale=\(tileWidth):\(tileHeight),tile=\(columns)x\(rows)"
    }

    /// The WebVTT index: cue `i` covers `[i * interval, (i + 1) * interval)` (the last one ends
    /// with the recording) and names the frame drawn at its start.
    public func webVTT(spriteName: String) -> String {
        var text = "WEBVTT\n"
        for index in 0..<tileCount {
            let startMs = Int64(index * intervalSeconds) * 1000
            let endMs = index == tileCount - 1 ? durationMs : min(durationMs, startMs + Int64(intervalSeconds) * 1000)
            let x = (index % columns) * tileWidth
            let y = (index / columns) * tileHeight
            text += "\n\(Self.timestamp(startMs)) --> \(Self.timestamp(max(endMs, startMs + 1)))\n"
            text += "\(spriteName)#xywh=\(x),\(y),\(tileWidth),\(tileHeight)\n"
        }
        return text
    }

    /// `HH:MM:SS.mmm`, as WebVTT wants.
    static func timestamp(_ ms: Int64) -> String {
        let hours = ms / 3_600_000
        let minutes = ms / 60_000 % 60
        let seconds = ms / 1000 % 60
        return String(format: "%02lld:%02lld:%02lld.%03lld", hours, minutes, seconds, ms % 1000)
    }
}

extension MediaTools {
    /// Draws the storyboard's sprite sheet (a JPEG) from the keyframes of `input`
    /// (`-skip_frame nokey`: nothing else is decoded). One decoder thread and one filter thread:
    /// with so few frames to decode, threads only wait on each other (an hour of 720p took 31 s
    /// with ffmpeg's default threading, 10 s like this, with the same picture).
    public func storyboard(_ input: String, layout: StoryboardLayout, output: String) async throws {
        _ = try await ffmpeg.run(
            Self.quiet + ["-y", "-skip_frame", "nokey", "-threads", "1", "-filter_threads", "1", "-i", input, "-an",
                          "-vf", layout.filter, "-frames:v", "1", "-update", "1", "-q:v", "4", output],
            timeout: min(timeout, 900))
    }
}
