import Hummingbird
import TapedeckCore

extension PlaybackController {
    /// `GET /storyboard/{id}/{asset}.vtt`: the storyboard index with its sprite references signed for
    /// as long as the link that led here. Only objects under the recording's own prefix are signed.
    static let storyboardIndex = SignedIndex(
        parameter: "index", fileExtension: ".vtt", kind: .storyboard, notFoundName: "storyboard", linkName: "storyboard",
        contentType: "text/vtt; charset=utf-8",
        verify: PlaybackKeys.verifyStoryboard,
        sign: { text, vttKey, prefix in
            let objectKeys = Set(StoryboardSigning.objectKeys(ofVTT: text, vttKey: vttKey).values)
                .filter { $0.hasPrefix(prefix) }.sorted()
            return (objectKeys, { StoryboardSigning.rewrite(text, vttKey: vttKey, signedURLs: $0) })
        })

    @Sendable func storyboard(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        try await serve(Self.storyboardIndex, request, context: context)
    }
}
