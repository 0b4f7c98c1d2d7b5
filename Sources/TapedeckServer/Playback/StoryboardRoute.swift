import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TapedeckRecording

extension PlaybackController {
    /// `GET /storyboard/{id}/{n}.vtt`: the storyboard index with its sprite references signed for
    /// as long as the link that led here. Only objects under the recording's own prefix are signed.
    @Sendable func storyboard(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let name = context.parameters.get("index") ?? ""
        guard name.hasSuffix(".vtt"), let index = Int(name.dropLast(4)), index >= 0, index < 1000,
            let uuid = UUID(uuidString: id)
        else { throw APIError.notFound("storyboard") }
        let now = catalog.clock.now()
        guard
            keys.verifyStoryboard(
                recordingID: id.lowercased(), assetIndex: index, expires: request.query("expires"),
                share: request.query("share"), signature: request.query("sig"), now: now)
        else {
            throw APIError(.forbidden, code: "link_expired", message: "this storyboard link is invalid or has expired; ask for a new one")
        }
        try await grants.requireLiveShare(request.query("share"), recordingID: uuid, now: now)
        guard let recording = try await catalog.pool.recordings.find(id: uuid), recording.status == .ready,
            index < recording.assets.count, recording.assets[index].kind == .storyboard
        else { throw APIError.notFound("storyboard") }
        let vttKey = recording.assets[index].key
        let download = try await store.get(try ObjectKey(vttKey))
        let text = String(buffer: try await download.body.collect(upTo: Self.maximumPlaylistBytes))
        let expires = Double(request.query("expires") ?? "") ?? now.timeIntervalSince1970
        let objectKeys = Set(StoryboardSigning.objectKeys(ofVTT: text, vttKey: vttKey).values)
            .filter { $0.hasPrefix(recording.keyPrefix) }.sorted()
        let urls = try await grants.signedURLs(
            try objectKeys.map(ObjectKey.init), of: uuid, expires: Date(timeIntervalSince1970: max(expires, now.timeIntervalSince1970 + 1)),
            share: request.query("share").flatMap { UUID(uuidString: $0) })
        let body = StoryboardSigning.rewrite(text, vttKey: vttKey, signedURLs: Dictionary(uniqueKeysWithValues: zip(objectKeys, urls)))
        var headers = HTTPFields()
        headers[.contentType] = "text/vtt; charset=utf-8"
        headers[.cacheControl] = "private, no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
