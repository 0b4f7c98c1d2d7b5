import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ObjectStorage
import Synchronization
import TapedeckCore

#if canImport(Glibc)
    import Glibc
#endif

/// What a signed `/media` request gets, decided in the channel pipeline: shared by
/// ``MediaFastPathHandler`` (behind the HTTP/1 codec) and ``MediaFrontHandler`` (in front of it),
/// so both answer exactly alike. The checks are ``MediaRequest``'s, as on the routed path.
struct MediaAnswer {
    enum Outcome {
        case body(ObjectInfo, ClosedRange<Int64>?, ByteBuffer?)
        /// Sent with sendfile; the region's file handle is closed once written.
        case file(ObjectInfo, ClosedRange<Int64>?, FileRegion)
        case notModified(ObjectInfo)
        /// Over ``maximumBody``: the routed handler streams it.
        case tooLarge
        case failure(MediaError)
    }

    /// Bodies up to this size are read in one go; larger ones are streamed by the routed handler.
    static let maximumBody: Int64 = 4 << 20

    struct Question {
        var isHead: Bool
        var uri: String
        var range: String?
        var ifRange: String?
        var ifNoneMatch: String?
    }

    /// The last signed URL a connection had verified. A browser plays an MP4 by asking for many
    /// ranges of the same URL; its MAC is computed once per connection instead of per range.
    /// Only an identical request target matches, and the expiry is still checked every time.
    struct VerifiedURL {
        var uri: String
        var request: MediaRequest

    }

    /// Decides, then calls `done` on `eventLoop` (with the request, once verified, for the caller
    /// to remember as its ``VerifiedURL``): at once when the bytes are in the page cache
    /// (sent with sendfile, as nginx does), otherwise after a read on the I/O thread pool, so the
    /// event loop never waits for the disk.
    static func answer(
        _ question: Question, lastVerified: VerifiedURL?, dependencies: LocalMediaFastPath,
        eventLoop: any EventLoop, done: @escaping (Outcome, MediaRequest?) -> Void
    ) {
        let now = dependencies.clock.now()
        let media: MediaRequest
        do {
            if let lastVerified, lastVerified.uri == question.uri {
                media = try lastVerified.request.again(rangeHeader: question.range, revoked: dependencies.isRevoked, now: now)
            } else {
                let uri = question.uri.utf8
                let mark = uri.firstIndex(of: UInt8(ascii: "?"))
                let query = mark.map { String(Substring(uri[uri.index(after: $0)...])) }
                let route = mark.map { String(Substring(uri[..<$0])) } ?? question.uri
                media = try MediaRequest.parse(
                    path: route, query: query, rangeHeader: question.range, signer: dependencies.signer,
                    revoked: dependencies.isRevoked, now: now)
            }
        } catch {
            done(.failure(error), nil)
            return
        }
        let file = dependencies.store.filePath(media.key)
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        if descriptor < 0, errno == EMFILE || errno == ENFILE {
            // Out of descriptors the thread pool would fail the same way: refuse at once, briefly.
            dependencies.connections.warnShort(dependencies.logger, "out of file descriptors: media answered with 503")
            done(.failure(.unavailable("the server is busy; try again shortly", retryAfterSeconds: 1)), media)
            return
        }
        if descriptor >= 0 {
            if let info = LocalDiskStore.fileInfo(key: media.key, descriptor: descriptor) {
                let (outcome, served, span) = decide(question, media: media, info: info)
                if let outcome {
                    Glibc.close(descriptor)
                    done(outcome, media)
                    return
                }
                if LocalDiskStore.isCached(descriptor: descriptor, span: span) {
                    let region = FileRegion(
                        fileHandle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor),
                        readerIndex: Int(span.lowerBound), endIndex: Int(span.upperBound))
                    done(.file(info, served, region), media)
                    return
                }
                // Read on the thread pool from this descriptor: opening the file again there
                // could find none left.
                let open = OpenDescriptor(descriptor)
                let work = dependencies.threadPool.runIfActive(eventLoop: eventLoop) { () throws -> Outcome in
                    defer { open.close() }
                    return .body(info, served, try LocalDiskStore.readSynchronously(descriptor: descriptor, path: file, span: span))
                }
                // Also when the pool never ran the read (shutting down).
                work.whenComplete { _ in open.close() }
                deliver(work, media: media, dependencies: dependencies, eventLoop: eventLoop, done: done)
                return
            }
            Glibc.close(descriptor)
        }
        @Sendable func evaluate() throws -> Outcome {
            guard let info = try LocalDiskStore.fileInfo(key: media.key, path: file) else {
                return .failure(.notFound("media"))
            }
            let (outcome, served, span) = decide(question, media: media, info: info)
            if let outcome { return outcome }
            return .body(info, served, try LocalDiskStore.readSynchronously(path: file, span: span))
        }
        let work = dependencies.threadPool.runIfActive(eventLoop: eventLoop) { try evaluate() }
        deliver(work, media: media, dependencies: dependencies, eventLoop: eventLoop, done: done)
    }

    /// Passes the outcome of a read on the thread pool to `done`, on the channel's event loop
    /// where the caller's state lives.
    private static func deliver(
        _ work: EventLoopFuture<Outcome>, media: MediaRequest, dependencies: LocalMediaFastPath,
        eventLoop: any EventLoop, done: @escaping (Outcome, MediaRequest?) -> Void
    ) {
        let bound = NIOLoopBound(done, eventLoop: eventLoop)
        let logger = dependencies.logger
        work.whenComplete { result in
            switch result {
            case .success(let outcome): bound.value(outcome, media)
            case .failure(ObjectStoreError.notFound): bound.value(.failure(.notFound("media")), media)
            case .failure(let error):
                logger.error("media read failed", metadata: ["error": "\(error)"])
                bound.value(.failure(.internalError), media)
            }
        }
    }

    /// A descriptor closed exactly once, by whichever of the pool's read and its completion
    /// comes first.
    final class OpenDescriptor: Sendable {
        private let descriptor: Atomic<Int32>

        init(_ descriptor: Int32) {
            self.descriptor = Atomic(descriptor)
        }

        func close() {
            let descriptor = descriptor.exchange(-1, ordering: .relaxed)
            if descriptor >= 0 { Glibc.close(descriptor) }
        }
    }

    /// The answer for `info`, or (nil) the span of the file to send.
    private static func decide(_ question: Question, media: MediaRequest, info: ObjectInfo)
        -> (Outcome?, ClosedRange<Int64>?, Range<Int64>)
    {
        var range = media.range
        if range != nil, let ifRange = question.ifRange, ifRange != info.etag { range = nil }
        var served: ClosedRange<Int64>?
        if let range {
            guard let resolved = range.resolve(size: info.size) else {
                return (.failure(MediaRequest.unsatisfiable(size: info.size)), nil, 0..<0)
            }
            served = resolved
        }
        if MediaRequest.notModified(ifNoneMatch: question.ifNoneMatch, etag: info.etag) { return (.notModified(info), nil, 0..<0) }
        if question.isHead { return (.body(info, served, nil), nil, 0..<0) }
        let span = served.map { $0.lowerBound..<($0.upperBound + 1) } ?? 0..<info.size
        if span.count > maximumBody { return (.tooLarge, nil, 0..<0) }
        return (nil, served, span)
    }

    /// Status and body of an outcome (not ``Outcome/tooLarge``); its headers are passed to `add`
    /// one by one, without the connection-level ones (request id, date, server, connection) the
    /// writer adds.
    static func response(
        _ outcome: Outcome, media: MediaRequest?, isHead: Bool, now: Date, add: (String, String) -> Void
    ) -> (status: HTTPResponseStatus, body: IOData?) {
        switch outcome {
        case .body(let info, let served, let bytes):
            media!.forEachHeader(info: info, served: served, now: now, add)
            return (served == nil ? .ok : .partialContent, bytes.map(IOData.byteBuffer))
        case .file(let info, let served, let region):
            media!.forEachHeader(info: info, served: served, now: now, add)
            return (served == nil ? .ok : .partialContent, .fileRegion(region))
        case .notModified(let info):
            media!.forEachHeader(info: info, served: nil, now: now, includeLength: false, add)
            return (.notModified, nil)
        case .failure(let error):
            for field in error.headers where field.name != .contentType && field.name != .contentLength {
                add(field.name.canonicalName, field.value)
            }
            let bytes = error.body
            add("Content-Type", "application/json; charset=utf-8")
            add("Content-Length", String(bytes.readableBytes))
            return (HTTPResponseStatus(statusCode: error.status.code), isHead ? nil : .byteBuffer(bytes))
        case .tooLarge:
            preconditionFailure("a too-large body is passed on, not answered")
        }
    }
}
