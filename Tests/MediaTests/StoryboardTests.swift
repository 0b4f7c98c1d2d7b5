import Foundation
import Testing
import TestSupport
@testable import Media

/// The storyboard's arithmetic alone, then the sheet real ffmpeg draws from it.
@Suite("Storyboard")
struct StoryboardTests {
    @Test func aShortRecordingGetsAFrameEveryTwoSeconds() throws {
        let layout = try #require(StoryboardLayout(durationMs: 20_000, videoWidth: 1280, videoHeight: 720))
        #expect(layout.intervalSeconds == 2 && layout.tileCount == 10)
        #expect(layout.columns == 10 && layout.rows == 1)
        #expect(layout.tileWidth == 160 && layout.tileHeight == 90)
        #expect(layout.sheetWidth == 1600 && layout.sheetHeight == 90)
        #expect(layout.filter == "fps=1/2:eof_action=pass,scale=160:90,tile=10x1")
    }

    @Test func anHourIsAHundredFramesOnATenByTenSheet() throws {
        let layout = try #require(StoryboardLayout(durationMs: 3_600_000, videoWidth: 1280, videoHeight: 720))
        #expect(layout.intervalSeconds == 36 && layout.tileCount == 100)
        #expect(layout.columns == 10 && layout.rows == 10)
        // A day is still a hundred frames, further apart.
        let day = try #require(StoryboardLayout(durationMs: 86_400_000, videoWidth: 640, videoHeight: 480))
        #expect(day.tileCount == 100 && day.intervalSeconds == 864 && day.tileHeight == 120)
    }

    @Test func aFewMillisecondsOverDoNotMakeAnotherFrame() throws {
        let layout = try #require(StoryboardLayout(durationMs: 10_027, videoWidth: 1280, videoHeight: 720))
        #expect(layout.tileCount == 5)
        #expect(layout.webVTT(spriteName: "s.jpg").hasSuffix("00:00:08.000 --> 00:00:10.027\ns.jpg#xywh=640,0,160,90\n"))
        #expect(try #require(StoryboardLayout(durationMs: 10_600, videoWidth: 1280, videoHeight: 720)).tileCount == 6)
        #expect(try #require(StoryboardLayout(durationMs: 900, videoWidth: 1280, videoHeight: 720)).tileCount == 1)
    }

    @Test func oddSizesGiveAnEvenTileHeightAndPartialLastRows() throws {
        let layout = try #require(StoryboardLayout(durationMs: 25_500, videoWidth: 1000, videoHeight: 333))
        #expect(layout.tileHeight == 54)  // 53.28 rounded to the nearest even number
        #expect(layout.tileCount == 13 && layout.columns == 10 && layout.rows == 2)
    }

    @Test func nothingToDrawIsNoLayout() {
        #expect(StoryboardLayout(durationMs: 0, videoWidth: 1280, videoHeight: 720) == nil)
        #expect(StoryboardLayout(durationMs: 5000, videoWidth: 0, videoHeight: 720) == nil)
    }

    @Test func theIndexCoversTheRecordingTileByTile() throws {
        let layout = try #require(StoryboardLayout(durationMs: 25_500, videoWidth: 1000, videoHeight: 333))
        let vtt = layout.webVTT(spriteName: "storyboard.jpg")
        let lines = vtt.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        #expect(lines.first == "WEBVTT")
        let cues = stride(from: 1, to: lines.count, by: 2).map { (lines[$0], lines[$0 + 1]) }
        #expect(cues.count == 13)
        #expect(cues[0] == ("00:00:00.000 --> 00:00:02.000", "storyboard.jpg#xywh=0,0,160,54"))
        #expect(cues[10] == ("00:00:20.000 --> 00:00:22.000", "storyboard.jpg#xywh=0,54,160,54"))
        #expect(cues[12] == ("00:00:24.000 --> 00:00:25.500", "storyboard.jpg#xywh=320,54,160,54"))
        #expect(StoryboardLayout.timestamp(3_723_004) == "01:02:03.004")
    }

    @Test(.requiresFFmpeg)
    func ffmpegDrawsTheSheetTheIndexDescribes() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let input = try await MediaToolsTests.source(in: directory)  // 12 s, 640x360, 2 s keyframes
        let layout = try #require(StoryboardLayout(durationMs: 12_000, videoWidth: 640, videoHeight: 360))
        #expect(layout.tileCount == 6 && layout.columns == 6 && layout.rows == 1)
        let output = directory.path + "/storyboard.jpg"
        try await MediaToolsTests.tools!.storyboard(input, layout: layout, output: output)
        #expect(try await MediaToolsTests.ffprobe("stream=codec_name", output) == "mjpeg")
        #expect(try await MediaToolsTests.ffprobe("stream=width", output) == "\(layout.sheetWidth)")
        #expect(try await MediaToolsTests.ffprobe("stream=height", output) == "\(layout.sheetHeight)")
        // Every cell holds a frame: the tile filter paints cells it had no frame for black.
        for index in 0..<layout.tileCount {
            let luma = try await MediaToolsTests.ffprobe(
                "frame_tags=lavfi.signalstats.YAVG",
                "movie=\(output),crop=\(layout.tileWidth):\(layout.tileHeight):\(index * layout.tileWidth):0,signalstats",
                lavfi: true)
            #expect((Double(luma) ?? 0) > 40, "tile \(index) is black (mean luma \(luma))")
        }
    }
}
