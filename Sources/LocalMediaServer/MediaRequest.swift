import Foundation
import HTTPTypes
import ObjectStorage
import TapedeckCore

/// A request for a signed `/media/...` URL, checked: the key, the overrides it was signed with,
/// and the range asked for. Shared by the streaming route and the fast path so both answer alike.
struct MediaRequest: Sendable {
    var key: ObjectKey
    var overrides: ResponseOverrides
    var range: ByteRange?
    var expires: String?
    /// The share the URL was granted through, if any: refused once it is revoked.
    var share: UUID?

    /// Parses and verifies; throws the ``MediaError`` to answer with.
    /// Byte-level on purpose: every media request (each HLS segment) comes through here, and
    /// Foundation's percent-decoding and splitting were a fifth of the fast path's time.
    static func parse(
        path: String, query: String?, rangeHeader: String?, signer: MediaURLSigner, revoked: (@Sendable (UUID) -> Bool)?, now: Date
    ) throws(MediaError) -> MediaRequest {
        guard path.hasPrefix(MediaURLSigner.pathPrefix),
            let rawKey = percentDecoded(path.utf8.dropFirst(MediaURLSigner.pathPrefix.utf8.count))
        else {
            throw MediaError(.badRequest, code: "invalid_key", message: "the media path is not valid", field: "path")
        }
        var expires: String?
        var signature: String?
        var disposition: String?
        var type: String?
        var share: String?
        if let query {
            for pair in query.utf8.split(separator: UInt8(ascii: "&")) {
                let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
                let value = equals == pair.endIndex ? "" : percentDecoded(pair[pair.index(after: equals)...])
                switch String(decoding: pair[..<equals], as: UTF8.self) {
                case "expires": expires = value
                case "sig": signature = value
                case "disposition": disposition = value
                case "type": type = value
                case "share": share = value
                default: break
                }
            }
        }
        let overrides = ResponseOverrides(contentDisposition: disposition, contentType: type)
        if let rejection = signer.verify(
            objectKey: rawKey, expires: expires, signature: signature, overrides: overrides, share: share, now: now)
        {
            switch rejection {
            case .expired:
                throw expired
            case .missingSignature, .badSignature:
                throw MediaError(.forbidden, code: "invalid_signature", message: "this media link is not valid")
            }
        }
        let key: ObjectKey
        do {
            key = try ObjectKey(rawKey)
        } catch {
            throw MediaError(.badRequest, code: "invalid_key", message: error.description, field: "path")
        }
        let shareID = share.flatMap { UUID(uuidString: $0) }
        if share != nil, shareID == nil { throw MediaError(.forbidden, code: "invalid_signature", message: "this media link is not valid") }
        if let shareID, revoked?(shareID) == true { throw shareRevoked }
        // A Range that does not name one plain byte range is ignored (the whole object is sent).
        return MediaRequest(
            key: key, overrides: overrides, range: rangeHeader.flatMap(ByteRange.parse(header:)), expires: expires,
            share: shareID)
    }

    static let shareRevoked = MediaError(.gone, code: "share_expired", message: "this share link has expired or was revoked")

    /// This request again, for the same signed URL with another `Range` header: the URL was
    /// verified already (its signature covers everything but the expiry, checked again here).
    func again(rangeHeader: String?, revoked: (@Sendable (UUID) -> Bool)?, now: Date) throws(MediaError) -> MediaRequest {
        guard let expires, let expiry = Double(expires), expiry >= now.timeIntervalSince1970 else {
            throw Self.expired
        }
        if let share, revoked?(share) == true { throw Self.shareRevoked }
        var request = self
        request.range = rangeHeader.flatMap(ByteRange.parse(header:))
        return request
    }

    static let expired = MediaError(.forbidden, code: "url_expired", message: "this media link has expired; ask for a new one")

    /// `%XX` escapes decoded (as UTF-8); `nil` for a malformed escape or invalid UTF-8.
    static func percentDecoded<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String? {
        guard bytes.contains(UInt8(ascii: "%")) else { return String(decoding: bytes, as: UTF8.self) }
        func hex(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x41...0x46: c - 0x37
            case 0x61...0x66: c - 0x57
            default: nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                let first = bytes.index(after: index)
                guard first != bytes.endIndex, bytes.index(after: first) != bytes.endIndex,
                    let high = hex(bytes[first]), let low = hex(bytes[bytes.index(after: first)])
                else { return nil }
                out.append(high << 4 | low)
                index = bytes.index(first, offsetBy: 2)
            } else {
                out.append(byte)
                index = bytes.index(after: index)
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Response headers for `info`, served as `range` (nil: whole object), as HTTP types.
    func headers(info: ObjectInfo, served range: ClosedRange<Int64>?, now: Date) -> HTTPFields {
        var headers = HTTPFields()
        forEachHeader(info: info, served: range, now: now) { name, value in
            headers.append(HTTPField(name: HTTPField.Name(name)!, value: value))
        }
        return headers
    }

    /// The same headers one by one, for writers that build their own header block (the fast path).
    func forEachHeader(
        info: ObjectInfo, served range: ClosedRange<Int64>?, now: Date, includeLength: Bool = true,
        _ add: (String, String) -> Void
    ) {
        add("Accept-Ranges", "bytes")
        add("Content-Type", overrides.contentType ?? info.contentType ?? ContentTypes.forKey(key.rawValue))
        // Only the holder of this URL may cache it, and not past its expiry.
        add("Cache-Control", "private, max-age=\(cacheSeconds(now: now))")
        if let etag = info.etag { add("ETag", etag) }
        if let disposition = overrides.contentDisposition { add("Content-Disposition", disposition) }
        if let range { add("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound)/\(info.size)") }
        if includeLength {
            add("Content-Length", String(range.map { $0.upperBound - $0.lowerBound + 1 } ?? info.size))
        }
    }

    /// Whether `If-None-Match` names the object's current ETag (answer 304).
    static func notModified(ifNoneMatch: String?, etag: String?) -> Bool {
        guard let ifNoneMatch, let etag else { return false }
        return ifNoneMatch == "*"
            || ifNoneMatch.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag }
    }

    static func unsatisfiable(size: Int64) -> MediaError {
        MediaError(
            .rangeNotSatisfiable, code: "range_not_satisfiable",
            message: "the requested range is outside the \(size)-byte object", field: "Range",
            headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"])
    }

    func cacheSeconds(now: Date) -> Int {
        guard let expires, let expiry = Double(expires) else { return 0 }
        return max(0, Int(expiry - now.timeIntervalSince1970))
    }
}
