import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore

/// `GET|HEAD /media/{key}`: local storage, served by Tapedeck behind signed, expiring URLs.
///
/// Supports single byte ranges (206, suffix and open-ended ranges, 416 when unsatisfiable),
/// `ETag`/`If-None-Match`/`If-Range`, and the response overrides a URL was signed with.
/// Most requests are answered before they get here, by ``MediaFastPathHandler``; this route
/// streams what that does not take (large bodies, pipelined requests).
public struct MediaController: Sendable {
    let store: any ObjectStore
    let signer: MediaURLSigner
    let clock: any Clock
    /// Whether a share was revoked (see ``LocalMediaFastPath/isRevoked``).
    var isRevoked: (@Sendable (UUID) -> Bool)?

    public init(store: any ObjectStore, signer: MediaURLSigner, clock: any Clock, isRevoked: (@Sendable (UUID) -> Bool)? = nil) {
        self.store = store
        self.signer = signer
        self.clock = clock
        self.isRevoked = isRevoked
    }

    /// `GET` and `HEAD` of `/media/**` on `router`; a request refused is thrown as `mapError`
    /// makes of its ``MediaError`` (the application's own error type, for its error middleware).
    public func register<Context: RequestContext>(
        on router: Router<Context>, mapError: @escaping @Sendable (MediaError) -> any Error = { $0 }
    ) {
        let serve: @Sendable (Request, Context) async throws -> Response = { request, context in
            do {
                return try await self.serve(request, context: context)
            } catch let error as MediaError {
                throw mapError(error)
            }
        }
        router.get("/media/**", use: serve)
        router.head("/media/**", use: serve)
    }

    public func serve(_ request: Request, context: some RequestContext) async throws -> Response {
        let now = clock.now()
        var media = try MediaRequest.parse(
            path: request.uri.path, query: request.uri.query, rangeHeader: request.headers[.range], signer: signer,
            revoked: isRevoked, now: now)
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
            throw MediaError.notFound("media")
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
