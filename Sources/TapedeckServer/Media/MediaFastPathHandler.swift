import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import ObjectStorage

#if canImport(Glibc)
    import Glibc
#endif
import TapedeckCore

/// Answers signed `/media` requests for local storage in the channel pipeline, before the
/// request reaches the async router (and before its conversion to HTTP types).
///
/// Media players fetch many small pieces (HLS segments, 64 KiB ranges of an MP4); going through
/// the async request machinery for each cost more than reading the bytes. Here the checks are
/// the same (``MediaRequest``), the file work is one job on the I/O thread pool, and the
/// response is written straight to the channel. Anything else, bodies over 4 MiB, and media
/// requests pipelined behind a routed request are passed on unchanged, so responses always leave
/// in request order.
final class MediaFastPathHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    struct Dependencies: Sendable {
        var signer: MediaURLSigner
        var store: LocalDiskStore
        var clock: any Clock
        var metrics: ServiceMetrics
        var logger: Logger
        var threadPool: NIOThreadPool = .singleton
    }

    static let route = "/media/**"
    let dependencies: Dependencies

    /// Requests passed on whose responses have not finished yet.
    private var routedInFlight = 0
    /// The media request being received (its body, if any, is dropped).
    private var receiving: HTTPRequestHead?
    /// A media response is being produced: later requests wait in `held`.
    private var responding = false
    private var held: [HTTPServerRequestPart] = []

    init(dependencies: Dependencies) {
        self.dependencies = dependencies
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if responding {
            held.append(part)
            if held.count > 10_000 { context.close(promise: nil) }
            return
        }
        process(part, context: context)
    }

    private func process(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let request):
            if routedInFlight == 0, request.method == .GET || request.method == .HEAD,
                request.uri.hasPrefix(MediaURLSigner.pathPrefix)
            {
                receiving = request
            } else {
                routedInFlight += 1
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body:
            if receiving == nil { context.fireChannelRead(wrapInboundOut(part)) }
        case .end:
            if let request = receiving {
                receiving = nil
                respond(to: request, context: context)
            } else {
                context.fireChannelRead(wrapInboundOut(part))
            }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { routedInFlight = max(0, routedInFlight - 1) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        held.removeAll()
        context.fireChannelInactive()
    }

    // MARK: Answering

    private enum Outcome {
        case body(ObjectInfo, ClosedRange<Int64>?, ByteBuffer?)
        /// Sent with sendfile; the region's file handle is closed once written.
        case file(ObjectInfo, ClosedRange<Int64>?, FileRegion)
        case notModified(ObjectInfo)
        case tooLarge
        case failure(APIError)
    }

    /// Bodies up to this size are read in one go; larger ones are streamed by the routed handler.
    static let maximumBody: Int64 = 4 << 20

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        responding = true
        let started = NIODeadline.now()
        let now = dependencies.clock.now()
        let uri = request.uri
        let question = uri.firstIndex(of: "?")
        let query = question.map { String(uri[uri.index(after: $0)...]) }
        let route = question.map { String(uri[..<$0]) } ?? uri
        let media: MediaRequest
        do {
            media = try MediaRequest.parse(
                path: route, query: query, rangeHeader: request.headers.first(name: "range"),
                signer: dependencies.signer, now: now)
        } catch {
            finish(request, .failure(error), media: nil, started: started, context: context)
            return
        }
        let file = dependencies.store.filePath(media.key)
        let ifRange = request.headers.first(name: "if-range")
        let ifNoneMatch = request.headers.first(name: "if-none-match")
        let isHead = request.method == .HEAD
        /// The answer for `info`, or the span of the file to send.
        @Sendable func decide(_ info: ObjectInfo) -> (Outcome?, ClosedRange<Int64>?, Range<Int64>) {
            var range = media.range
            if range != nil, let ifRange, ifRange != info.etag { range = nil }
            var served: ClosedRange<Int64>?
            if let range {
                guard let resolved = range.resolve(size: info.size) else {
                    return (.failure(MediaRequest.unsatisfiable(size: info.size)), nil, 0..<0)
                }
                served = resolved
            }
            if MediaRequest.notModified(ifNoneMatch: ifNoneMatch, etag: info.etag) { return (.notModified(info), nil, 0..<0) }
            if isHead { return (.body(info, served, nil), nil, 0..<0) }
            let span = served.map { $0.lowerBound..<($0.upperBound + 1) } ?? 0..<info.size
            if span.count > Self.maximumBody { return (.tooLarge, nil, 0..<0) }
            return (nil, served, span)
        }
        // Cached bytes go out with sendfile straight from here, as nginx does; a range that is not
        // (fully) in the page cache is read on the I/O thread pool instead, so the event loop
        // never waits for the disk.
        let descriptor = open(file, O_RDONLY | O_CLOEXEC)
        if descriptor >= 0 {
            if let info = LocalDiskStore.fileInfo(key: media.key, descriptor: descriptor) {
                let (outcome, served, span) = decide(info)
                if let outcome {
                    Glibc.close(descriptor)
                    if case .tooLarge = outcome { passOn(request, context: context) } else {
                        finish(request, outcome, media: media, started: started, context: context)
                    }
                    return
                }
                if LocalDiskStore.isCached(descriptor: descriptor, span: span) {
                    let region = FileRegion(
                        fileHandle: NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor),
                        readerIndex: Int(span.lowerBound), endIndex: Int(span.upperBound))
                    finish(request, .file(info, served, region), media: media, started: started, context: context)
                    return
                }
            }
            Glibc.close(descriptor)
        }
        @Sendable func evaluate() throws -> Outcome {
            guard let info = try LocalDiskStore.fileInfo(key: media.key, path: file) else {
                return .failure(.notFound("media"))
            }
            let (outcome, served, span) = decide(info)
            if let outcome { return outcome }
            return .body(info, served, try LocalDiskStore.readSynchronously(path: file, span: span))
        }
        let work = dependencies.threadPool.runIfActive(eventLoop: context.eventLoop) { try evaluate() }
        // The callback runs on the channel's event loop, where the handler and context live.
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        work.whenComplete { result in
            let (handler, context) = bound.value
            let outcome: Outcome
            switch result {
            case .success(let value): outcome = value
            case .failure(ObjectStoreError.notFound): outcome = .failure(.notFound("media"))
            case .failure(let error):
                handler.dependencies.logger.error("media read failed", metadata: ["error": "\(error)"])
                outcome = .failure(.internalError)
            }
            if case .tooLarge = outcome {
                handler.passOn(request, context: context)
            } else {
                handler.finish(request, outcome, media: media, started: started, context: context)
            }
        }
    }

    private func finish(
        _ request: HTTPRequestHead, _ outcome: Outcome, media: MediaRequest?, started: NIODeadline,
        context: ChannelHandlerContext
    ) {
        let now = dependencies.clock.now()
        let status: HTTPResponseStatus
        var headers = HTTPHeaders()
        headers.reserveCapacity(12)
        var body: IOData?
        switch outcome {
        case .body(let info, let served, let bytes):
            status = served == nil ? .ok : .partialContent
            media!.forEachHeader(info: info, served: served, now: now) { headers.add(name: $0, value: $1) }
            body = bytes.map(IOData.byteBuffer)
        case .file(let info, let served, let region):
            status = served == nil ? .ok : .partialContent
            media!.forEachHeader(info: info, served: served, now: now) { headers.add(name: $0, value: $1) }
            body = .fileRegion(region)
        case .notModified(let info):
            status = .notModified
            media!.forEachHeader(info: info, served: nil, now: now, includeLength: false) { headers.add(name: $0, value: $1) }
        case .failure(let error):
            status = HTTPResponseStatus(statusCode: error.status.code)
            for field in error.headers { headers.add(name: field.name.canonicalName, value: field.value) }
            headers.replaceOrAdd(name: "Content-Type", value: "application/json; charset=utf-8")
            let bytes = error.body
            headers.replaceOrAdd(name: "Content-Length", value: String(bytes.readableBytes))
            body = request.method == .HEAD ? nil : .byteBuffer(bytes)
        case .tooLarge:
            return
        }
        let requestID = request.headers.first(name: "x-request-id").flatMap(RequestIDMiddleware.acceptable)
            ?? RequestIDs.next()
        headers.add(name: "X-Request-Id", value: requestID)
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: "Tapedeck")
        let closeAfter = !request.isKeepAlive
        if closeAfter { headers.add(name: "Connection", value: "close") }

        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if case .fileRegion(let region) = body {
            written.futureResult.whenComplete { _ in try? region.fileHandle.close() }
        }
        if closeAfter {
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in boundContext.value.close(promise: nil) }
        }

        let elapsed = NIODeadline.now() - started
        dependencies.metrics.recordRequest(
            method: request.method.rawValue, route: Self.route, status: Int(status.code),
            duration: .nanoseconds(elapsed.nanoseconds))
        dependencies.logger.debug(
            "\(request.method) /media \(status.code)", metadata: ["request_id": "\(requestID)"])
        resume(context: context)
    }

    /// Hands a request the fast path does not take to the router, as if it had never been held.
    private func passOn(_ request: HTTPRequestHead, context: ChannelHandlerContext) {
        routedInFlight += 1
        context.fireChannelRead(wrapInboundOut(.head(request)))
        context.fireChannelRead(wrapInboundOut(.end(nil)))
        context.fireChannelReadComplete()
        resume(context: context)
    }

    /// Processes requests that arrived while a response was being produced, in order.
    private func resume(context: ChannelHandlerContext) {
        responding = false
        var forwarded = false
        while !responding, !held.isEmpty {
            let part = held.removeFirst()
            if case .head = part {} else { forwarded = true }
            process(part, context: context)
        }
        if forwarded { context.fireChannelReadComplete() }
    }
}
