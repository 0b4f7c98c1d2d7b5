import AsyncHTTPClient
import Foundation
import NIOHTTP1

// The S3 and Supabase backends read objects the same way over HTTP: a `Range` header asked
// for, a `206` with `Content-Range` answered, the object's facts in the response headers.
// Written once here so that the two backends cannot drift apart on range semantics.

extension ByteRange {
    /// The `Range` request header value: `bytes=0-9`, `bytes=10-` or `bytes=-5`.
    var headerValue: String {
        switch self {
        case .bounded(let first, let last): "bytes=\(first)-\(last)"
        case .from(let first): "bytes=\(first)-"
        case .suffix(let count): "bytes=-\(count)"
        }
    }

    /// The request headers asking for `range`; none for the whole object.
    static func requestHeaders(_ range: ByteRange?) -> [(String, String)] {
        range.map { [("range", $0.headerValue)] } ?? []
    }
}

/// A `Content-Range` response header value.
enum ContentRange {
    /// `bytes 0-9/100` → (0...9, 100)
    static func parse(_ value: String) -> (range: ClosedRange<Int64>, total: Int64)? {
        guard value.hasPrefix("bytes ") else { return nil }
        let parts = value.dropFirst(6).split(separator: "/")
        guard parts.count == 2, let total = Int64(parts[1]) else { return nil }
        let bounds = parts[0].split(separator: "-")
        guard bounds.count == 2, let first = Int64(bounds[0]), let last = Int64(bounds[1]), first <= last else {
            return nil
        }
        return (first...last, total)
    }
}

extension ObjectInfo {
    /// The facts a `GET` or `HEAD` answer carries in its headers.
    init(key: String, responseHeaders headers: HTTPHeaders) {
        self.init(
            key: key, size: Int64(headers.first(name: "content-length") ?? "") ?? 0,
            contentType: headers.first(name: "content-type"), etag: headers.first(name: "etag"),
            lastModified: headers.first(name: "last-modified").flatMap(IMFFixdate.parse))
    }
}

extension ObjectDownload {
    /// A successful `GET` answer streamed: for a `206`, the served range and the whole object's
    /// size come from `Content-Range`.
    init(key: String, response: HTTPClientResponse) {
        var info = ObjectInfo(key: key, responseHeaders: response.headers)
        var served: ClosedRange<Int64>?
        if response.status == .partialContent, let value = response.headers.first(name: "content-range"),
            let parsed = ContentRange.parse(value)
        {
            served = parsed.range
            info.size = parsed.total
        }
        let body = response.body
        self.init(info: info, range: served, body: ObjectBody { sink in
            for try await chunk in body { try await sink(chunk) }
        })
    }
}
