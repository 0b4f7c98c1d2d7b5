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

    let dependencies: LocalMediaFastPath

    /// Requests passed on whose responses have not finished yet.
    private var routedInFlight = 0
    /// The media request being received (its body, if any, is dropped).
    private var receiving: HTTPRequestHead?
    /// A media response is being produced or has not left yet: later requests wait in `held`.
    private var responding = false
    private var held = CircularBuffer<HTTPServerRequestPart>()
    /// `resume` is running: a response finished from inside it does not start another loop.
    private var resuming = false
    /// A read asked for while requests were held: passed on once they are answered, so a client
    /// that sends without reading fills its own socket, not this process.
    private var readHeld = false
    private var lastVerified: MediaAnswer.VerifiedURL?

    init(dependencies: LocalMediaFastPath) {
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

    func read(context: ChannelHandlerContext) {
        if responding, !held.isEmpty {
            readHeld = true
            return
        }
        context.read()
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

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        responding = true
        let started = NIODeadline.now()
        let question = MediaAnswer.Question(
            isHead: request.method == .HEAD, uri: request.uri, range: request.headers.first(name: "range"),
            ifRange: request.headers.first(name: "if-range"), ifNoneMatch: request.headers.first(name: "if-none-match"))
        MediaAnswer.answer(question, lastVerified: lastVerified, dependencies: dependencies, eventLoop: context.eventLoop) {
            outcome, media in
            if let media { self.lastVerified = .init(uri: question.uri, request: media) }
            if case .tooLarge = outcome {
                self.passOn(request, context: context)
            } else {
                self.finish(request, outcome, media: media, started: started, context: context)
            }
        }
    }

    private func finish(
        _ request: HTTPRequestHead, _ outcome: MediaAnswer.Outcome, media: MediaRequest?, started: NIODeadline,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        let (status, body) = MediaAnswer.response(
            outcome, media: media, isHead: request.method == .HEAD, now: dependencies.clock.now()
        ) { headers.add(name: $0, value: $1) }
        let requestID = dependencies.requestID(request.headers.first(name: "x-request-id"))
        headers.add(name: "X-Request-Id", value: requestID)
        headers.add(name: "Date", value: HTTPDate.now())
        headers.add(name: "Server", value: "Tapedeck")
        let closeAfter = !request.isKeepAlive
        if closeAfter { headers.add(name: "Connection", value: "close") }

        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        dependencies.record(method: request.method.rawValue, status: Int(status.code), requestID: requestID, started: started)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        // The next request waits until this answer has left: a connection holds at most one
        // open file or body of this handler.
        let boundSelf = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            if case .fileRegion(let region) = body { try? region.fileHandle.close() }
            let (handler, context) = boundSelf.value
            if closeAfter {
                context.close(promise: nil)
            } else {
                handler.resume(context: context)
            }
        }
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
        guard !resuming else { return }
        resuming = true
        defer { resuming = false }
        var forwarded = false
        while !responding, !held.isEmpty {
            let part = held.removeFirst()
            if case .head = part {} else { forwarded = true }
            process(part, context: context)
        }
        if forwarded { context.fireChannelReadComplete() }
        if readHeld, !responding || held.isEmpty {
            readHeld = false
            context.read()
        }
    }
}
