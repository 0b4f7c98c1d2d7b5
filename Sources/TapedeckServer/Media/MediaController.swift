import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckRecording

/// `GET|HEAD /media/{key}`: local storage, served by Tapedeck behind signed, expiring URLs.
///
/// Supports single byte ranges (206, suffix and open-ended ranges, 416 when unsatisfiable),
/// `ETag`/`If-None-Match`/`If-Range`, and the response overrides a URL was signed with.
/// Most requests are answered before they get here, by ``MediaFastPathHandler``; this route
/// streams what that does not take (large bodies, pipelined requests).
struct MediaController {
    let store: any ObjectStore
    let signer: MediaURLSigner
    let clock: any Clock
    var revokedShares: RevokedShares? = nil

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/media/**", use: serve)
        router.head("/media/**", use: serve)
    }

    @Sendable func serve(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let now = clock.now()
        var media = try MediaRequest.parse(
            path: request.uri.path, query: request.uri.query, rangeHeader: request.headers[.range], signer: signer,
            revoked: revokedShares, now: now)
        // If-Range: only honour the range while the object is unchanged.
        if media.range != nil, let ifRange = request.headers[.ifRange], ifRange != (try await store.head(media.key))?.etag {
            media.range = nil
        }
        let download: ObjectDownload
        do {
            download = try await store.get(media.key, range: media.range)
        } catch ObjectStoreError.rangeNotSatisfiable(let size) {
            throw MediaRequest.unsatisfiable(size: size)
        } catch ObjectStoreError.notFound {
            throw APIError.notFound("media")
        }
        var headers = media.headers(info: download.info, served: download.range, now: now)
        if MediaRequest.notModified(ifNoneMatch: request.headers[.ifNoneMatch], etag: download.info.etag) {
            headers[.contentLength] = nil
            headers[.contentRange] = nil
            return Response(status: .notModified, headers: headers)
        }
        let status: HTTPResponse.Status = download.range == nil ? .ok : .partialContent
        if request.method == .head {
            return Response(status: status, headers: headers)
        }
        let body = download.body
        return Response(
            status: status, headers: headers,
            body: ResponseBody(contentLength: Int(download.length)) { writer in
                try await body.write { chunk in try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }
}
