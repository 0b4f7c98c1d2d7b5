import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// A text index Tapedeck serves itself with the objects it references signed: the HLS playlist
/// (`/playback/...`) and the storyboard VTT (`/storyboard/...`). Both routes check their link,
/// the share and the asset the same way and differ only in what is described here, so that a
/// fix to one (a share check, a size cap, the cache header) cannot miss the other.
struct SignedIndex: Sendable {
    /// The route's path parameter that holds `{asset}.{extension}`.
    var parameter: String
    /// With the dot: `.m3u8`.
    var fileExtension: String
    var kind: AssetKind
    /// Named in the not-found error.
    var notFoundName: String
    /// Named in the expired-link message: "this … link is invalid or has expired".
    var linkName: String
    var contentType: String
    /// Checks the signed link: recording ID, asset, `expires`, `share`, `sig`, now.
    var verify: @Sendable (PlaybackKeys) -> (String, AssetReference, String?, String?, String?, Date) -> Bool
    /// From the stored text, its object key and the recording's key prefix: the object keys to
    /// sign, and how to write the text with their signed URLs.
    var sign: @Sendable (String, String, String) throws -> (objectKeys: [String], rewrite: ([String: String]) -> String)
}

extension PlaybackController {
    /// Serves `index` for `GET /…/{id}/{asset}.{extension}`: the objects it references are signed
    /// for as long as the link that led here.
    /// `finish` may rewrite the signed text once more, knowing the recording (subtitles).
    func serve(
        _ index: SignedIndex, _ request: Request, context: TapedeckRequestContext,
        finish: (@Sendable (String, Recording, Asset) async throws -> String)? = nil
    ) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let name = context.parameters.get(index.parameter) ?? ""
        guard name.hasSuffix(index.fileExtension), let reference = AssetReference(name.dropLast(index.fileExtension.count)),
            let uuid = UUID(uuidString: id)
        else { throw APIError.notFound(index.notFoundName) }
        let now = catalog.clock.now()
        guard
            index.verify(keys)(
                id.lowercased(), reference, request.query("expires"), request.query("share"), request.query("sig"), now)
        else {
            throw APIError(
                .forbidden, code: "link_expired", message: "this \(index.linkName) link is invalid or has expired; ask for a new one")
        }
        try await grants.requireLiveShare(request.query("share"), recordingID: uuid, now: now)
        guard let recording = try await catalog.pool.recordings.find(id: uuid), recording.status == .ready,
            let asset = reference.resolve(in: recording.assets), asset.kind == index.kind
        else { throw APIError.notFound(index.notFoundName) }
        let indexKey = asset.key
        let download = try await store.get(try ObjectKey(indexKey))
        let text = String(buffer: try await download.body.collect(upTo: Self.maximumPlaylistBytes))
        let (objectKeys, rewrite) = try index.sign(text, indexKey, recording.keyPrefix)
        // Object URLs expire with the link that led here.
        let expires = Double(request.query("expires") ?? "") ?? now.timeIntervalSince1970
        let urls = try await grants.signedURLs(
            try objectKeys.map(ObjectKey.init), of: uuid,
            expires: Date(timeIntervalSince1970: max(expires, now.timeIntervalSince1970 + 1)),
            share: request.query("share").flatMap { UUID(uuidString: $0) })
        var body = rewrite(Dictionary(uniqueKeysWithValues: zip(objectKeys, urls)))
        if let finish { body = try await finish(body, recording, asset) }
        var headers = HTTPFields()
        headers[.contentType] = index.contentType
        headers[.cacheControl] = "private, no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
