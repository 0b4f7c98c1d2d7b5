import Testing
@testable import TapedeckCore

@Suite("Storyboard signing")
struct StoryboardSigningTests {
    let vtt = """
        WEBVTT

        00:00:00.000 --> 00:00:02.000
        storyboard.jpg#xywh=0,0,160,90

        00:00:02.000 --> 00:00:03.500
        storyboard.jpg#xywh=160,0,160,90

        NOTE a comment naming storyboard.jpg stays as it is

        00:00:03.500 --> 00:00:04.000
        https://elsewhere.example/frame.jpg#xywh=0,0,1,1

        00:00:04.000 --> 00:00:05.000
        ../../escape.jpg#xywh=0,0,1,1
        """

    @Test func referencesResolveAgainstTheIndexInsideTheStore() {
        let keys = StoryboardSigning.objectKeys(ofVTT: vtt, vttKey: "rooms/a/rec/storyboard.vtt")
        #expect(keys == ["storyboard.jpg": "rooms/a/rec/storyboard.jpg", "../../escape.jpg": "rooms/escape.jpg"])
    }

    @Test func signedReferencesKeepTheirFragment() {
        let signed = StoryboardSigning.rewrite(
            vtt, vttKey: "rooms/a/rec/storyboard.vtt",
            signedURLs: ["rooms/a/rec/storyboard.jpg": "https://store.example/sb.jpg?sig=abc"])
        let lines = signed.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[3] == "https://store.example/sb.jpg?sig=abc#xywh=0,0,160,90")
        #expect(lines[6] == "https://store.example/sb.jpg?sig=abc#xywh=160,0,160,90")
        #expect(lines[8] == "NOTE a comment naming storyboard.jpg stays as it is")
        #expect(lines[11] == "https://elsewhere.example/frame.jpg#xywh=0,0,1,1")
        // Not signed (the caller signs only keys under the recording), so left untouched.
        #expect(lines[14] == "../../escape.jpg#xywh=0,0,1,1")
        #expect(lines.count == vtt.split(separator: "\n", omittingEmptySubsequences: false).count)
    }
}
