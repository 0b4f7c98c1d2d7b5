import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore

/// `GET|HEAD /media/{key}`: local storage, served by Tapedeck behind signed, expiring URLs.
///
/// Supports single byte ranges (206, suffix and open-ended ranges, 416 when unsatisfiable),
/// `ETag`/`If-None-Match`, and the response overrides a URL was signed with.
struct MediaController {
    let store: any ObjectStore
    let signer: MediaURLSigner
    let clock: any Clock

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/media/**", use: serve)
        router.head("/media/**", use: serve)
    }

    @Sendable func serve(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let encoded = request.uri.path.dropFirst(MediaURLSigner.pathPrefix.count)
        guard let rawKey = String(encoded).removingPercentEncoding else {
            throw APIError(.badRequest, code: "invalid_key", message: "the media path is not valid", field: "path")
        }
        let overrides = ResponseOverrides(
            contentDisposition: request.query("disposition"), contentType: request.query("type"))
        if let rejection = signer.verify(
            objectKey: rawKey, expires: request.query("expires"), signature: request.query("sig"), overrides: overrides,
            now: clock.now())
        {
            switch rejection {
            case .expired:
                throw APIError(.forbidden, code: "url_expired", message: "this media link has expired; ask for a new one")
            case .missingSignature, .badSignature:
                throw APIError(.forbidden, code: "invalid_signature", message: "this media link is not valid")
            }
        }
        let key: ObjectKey
        do {
            key = try ObjectKey(rawKey)
        } catch {
            throw APIError(.badRequest, code: "invalid_key", message: error.description, field: "path")
        }
        guard let info = try await store.head(key) else { throw APIError.notFound("media") }

        var headers: HTTPFields = [
            .acceptRanges: "bytes",
            .contentType: overrides.contentType ?? info.contentType ?? ContentTypes.forKey(key.rawValue),
            // Only the holder of this URL may cache it, and not past its expiry.
            .cacheControl: "private, max-age=\(cacheSeconds(expires: request.query("expires")))",
        ]
        if let etag = info.etag { headers[.eTag] = etag }
        if let disposition = overrides.contentDisposition { headers[.contentDisposition] = disposition }
        if let etag = info.etag, let match = request.headers[.ifNoneMatch],
            match == "*" || match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
        {
            return Response(status: .notModified, headers: headers)
        }

        var range: ByteRange?
        // A Range that does not name one plain byte range is ignored (the whole object is sent).
        if let header = request.headers[.range], let requested = ByteRange.parse(header: header) {
            // If-Range: only honour the range while the object is unchanged.
            if let ifRange = request.headers[.ifRange], ifRange != info.etag {
                range = nil
            } else {
                range = requested
            }
        }
        let download: ObjectDownload
        do {
            download = try await store.get(key, range: range)
        } catch ObjectStoreError.rangeNotSatisfiable(let size) {
            var failure = headers
            failure[.contentRange] = "bytes */\(size > 0 ? size : info.size)"
            failure[.contentType] = "application/json; charset=utf-8"
            throw APIError(
                .rangeNotSatisfiable, code: "range_not_satisfiable",
                message: "the requested range is outside the \(info.size)-byte object", field: "Range",
                headers: failure)
        } catch ObjectStoreError.notFound {
            throw APIError.notFound("media")
        }
        headers[.contentLength] = String(download.length)
        var status = HTTPResponse.Status.ok
        if let served = download.range {
            status = .partialContent
            headers[.contentRange] = "bytes \(served.lowerBound)-\(served.upperBound)/\(download.info.size)"
        }
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

    func cacheSeconds(expires: String?) -> Int {
        guard let expires, let expiry = Double(expires) else { return 0 }
        return max(0, Int(expiry - clock.now().timeIntervalSince1970))
    }
}
