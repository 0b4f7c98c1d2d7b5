import Foundation
import NIOCore
import NIOHTTP1
import TapedeckCore

#if canImport(Glibc)
    import Glibc
#endif

/// First in the connection's pipeline, before the HTTP/1 codec: while a connection sends nothing
/// but plain `GET /media/...` requests (a media player fetching segments and ranges), they are
/// read from the raw bytes (``RawMediaRequestHead``) and answered with a response head written
/// as bytes and the body sent with sendfile, skipping the codec's header objects both ways.
///
/// The first request that is anything else is handed to the codec whole, and so is the rest of
/// the connection: from then on ``MediaFastPathHandler`` and the router answer, as before. So
/// responses always leave in request order, and the codec alone judges every unusual request.
final class MediaFrontHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    let dependencies: LocalMediaFastPath
    /// Received bytes not answered yet.
    private var pending: ByteBuffer?
    /// The codec has the connection.
    private var handedOver = false
    /// A response is being produced (a read on the thread pool): later requests wait in `pending`.
    private var busy = false
    private var closing = false
    /// `drain` is running: a response finished from inside it does not start another loop.
    private var draining = false
    /// A read the channel asked for while requests were waiting unanswered: passed on once they
    /// are, so a client that sends without reading fills its own socket, not this process.
    private var readHeld = false
    private var lastVerified: MediaAnswer.VerifiedURL?
    /// Responses written here and not yet sent. At most one: the next request is answered once
    /// the previous answer has left, so a connection holds at most one open file or body.
    private var unsentResponses = 0
    /// A close asked for (by the connection handler, at shutdown) while a response of this
    /// handler was unsent: the codec behind never saw these requests and thinks the connection idle.
    private var deferredClose: (mode: CloseMode, promise: EventLoopPromise<Void>?)?
    private var watch: MediaConnectionWatch
    private var watchTick: Scheduled<Void>?

    init(dependencies: LocalMediaFastPath) {
        self.dependencies = dependencies
        self.watch = MediaConnectionWatch(limits: dependencies.connectionLimits)
    }

    // MARK: Watching the connection

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startWatching(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startWatching(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        watchTick?.cancel()
        watchTick = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { watch.quiescing = true }
        context.fireUserInboundEventTriggered(event)
    }

    private func startWatching(context: ChannelHandlerContext) {
        guard watchTick == nil else { return }
        watchTick = context.eventLoop.assumeIsolated().scheduleTask(in: MediaConnectionWatch.tick) {
            self.watchTick = nil
            self.checkProgress(context: context)
        }
    }

    /// Once a second: closes the connection if its client stopped taking the answers (or, while
    /// the connection is this handler's, sat idle); otherwise looks again in a second.
    private func checkProgress(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let buffered = (try? context.channel.syncOptions?.getOption(ChannelOptions.bufferedWritableBytes)) ?? 0
        let mayIdle = !handedOver && !busy && unsentResponses == 0 && deferredClose == nil
        guard watch.tick(buffered: Int64(buffered), mayIdle: mayIdle) else {
            closing = true
            pending = nil
            // Unsent writes fail, which closes their files; a deferred close completes with this one.
            let promise = deferredClose?.promise
            deferredClose = nil
            context.close(mode: .all, promise: promise)
            return
        }
        startWatching(context: context)
    }

    // MARK: Reading

    func read(context: ChannelHandlerContext) {
        if !handedOver, mustWaitBeforeReading {
            readHeld = true
            return
        }
        context.read()
    }

    /// Requests are waiting while an answer is produced or unsent: more bytes would only pile up.
    private var mustWaitBeforeReading: Bool {
        closing || ((busy || unsentResponses > 0) && (pending?.readableBytes ?? 0) > 0)
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard readHeld, handedOver || !mustWaitBeforeReading else { return }
        readHeld = false
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        watch.wrote(unwrapOutboundIn(data).readableBytes)
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        watch.readSinceTick = true
        if handedOver {
            context.fireChannelRead(data)
            return
        }
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        if pending == nil { pending = bytes } else { pending!.writeBuffer(&bytes) }
        drain(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if handedOver { context.fireChannelReadComplete() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending = nil
        watchTick?.cancel()
        watchTick = nil
        context.fireChannelInactive()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard !handedOver, busy || unsentResponses > 0, deferredClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        closing = true
        pending = nil
        deferredClose = (mode, promise)
    }

    /// Closes as asked once the last response in progress has been sent.
    private func closeIfDeferred(context: ChannelHandlerContext) {
        guard !busy, unsentResponses == 0, let (mode, promise) = deferredClose else { return }
        deferredClose = nil
        context.close(mode: mode, promise: promise)
    }

    private func drain(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer {
            draining = false
            resumeReading(context: context)
        }
        while !busy, unsentResponses == 0, !handedOver, !closing, let buffer = pending, buffer.readableBytes > 0 {
            switch buffer.withUnsafeReadableBytes({ RawMediaRequestHead.read($0) }) {
            case .incomplete:
                return
            case .notMedia:
                handOver(context: context)
                return
            case .media(let head):
                let raw = pending!.readSlice(length: head.length)!
                if pending!.readableBytes == 0 { pending = nil }
                respond(to: head, raw: raw, context: context)
            }
        }
    }

    /// Gives the codec everything not answered yet, and the connection from now on.
    private func handOver(context: ChannelHandlerContext) {
        handedOver = true
        if let rest = pending {
            pending = nil
            context.fireChannelRead(wrapInboundOut(rest))
        }
        context.fireChannelReadComplete()
        // From now on the handlers behind decide when to read.
        resumeReading(context: context)
    }

    private func respond(to head: RawMediaRequestHead, raw: ByteBuffer, context: ChannelHandlerContext) {
        busy = true
        let started = NIODeadline.now()
        let question = MediaAnswer.Question(
            isHead: false, uri: head.target, range: head.range, ifRange: head.ifRange, ifNoneMatch: head.ifNoneMatch)
        MediaAnswer.answer(question, lastVerified: lastVerified, dependencies: dependencies, eventLoop: context.eventLoop) {
            outcome, media in
            self.busy = false
            if let media { self.lastVerified = .init(uri: question.uri, request: media) }
            if case .tooLarge = outcome {
                // Shutting down: the request is not replayed, the connection closes.
                if self.deferredClose != nil {
                    self.closeIfDeferred(context: context)
                    return
                }
                // Streamed by the router: the codec gets this request as it came, then the rest.
                var replay = raw
                if var rest = self.pending { replay.writeBuffer(&rest) }
                self.pending = replay
                self.handOver(context: context)
                return
            }
            self.write(outcome, media: media, head: head, started: started, context: context)
            self.closeIfDeferred(context: context)
            // Answered at once, the loop in `drain` goes on; answered later, it starts again.
            self.drain(context: context)
        }
    }

    private func write(
        _ outcome: MediaAnswer.Outcome, media: MediaRequest?, head: RawMediaRequestHead, started: NIODeadline,
        context: ChannelHandlerContext
    ) {
        let requestID = dependencies.requestID(head.requestID)
        var fields = context.channel.allocator.buffer(capacity: 512)
        let (status, body) = MediaAnswer.response(outcome, media: media, isHead: false, now: dependencies.clock.now()) {
            Self.writeField($0, $1, into: &fields)
        }
        var bytes = context.channel.allocator.buffer(capacity: 64 + fields.readableBytes)
        Self.writeStatusLine(status, into: &bytes)
        bytes.writeBuffer(&fields)
        Self.writeField("X-Request-Id", requestID, into: &bytes)
        Self.writeField("Date", HTTPDate.now(), into: &bytes)
        Self.writeField("Server", "Tapedeck", into: &bytes)
        if !head.keepAlive { Self.writeField("Connection", "close", into: &bytes) }
        bytes.writeStaticString("\r\n")

        dependencies.record(method: "GET", status: Int(status.code), requestID: requestID, started: started)
        if !head.keepAlive {
            closing = true
            pending = nil
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        // Corked, the head and the start of the body leave in one segment instead of a small
        // packet of their own (as nginx's `tcp_nopush`); uncorking sends the tail at once.
        let options = context.channel.syncOptions
        try? options?.setOption(Self.cork, value: 1)
        watch.wrote(bytes.readableBytes + (body?.readableBytes ?? 0))
        unsentResponses += 1
        if let body {
            context.write(wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(body), promise: written)
        } else {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(bytes)), promise: written)
        }
        try? options?.setOption(Self.cork, value: 0)
        let boundSelf = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in
            if case .fileRegion(let region) = body { try? region.fileHandle.close() }
            let (handler, context) = boundSelf.value
            handler.unsentResponses -= 1
            handler.closeIfDeferred(context: context)
            if !head.keepAlive {
                context.close(promise: nil)
                return
            }
            // The next pipelined request waited for this answer to leave.
            handler.drain(context: context)
        }
    }

    private static let cork = ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: CInt(TCP_CORK)))

    static func writeStatusLine(_ status: HTTPResponseStatus, into bytes: inout ByteBuffer) {
        switch status {
        case .partialContent: bytes.writeStaticString("HTTP/1.1 206 Partial Content\r\n")
        case .ok: bytes.writeStaticString("HTTP/1.1 200 OK\r\n")
        default: bytes.writeString("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n")
        }
    }

    static func writeField(_ name: String, _ value: String, into bytes: inout ByteBuffer) {
        bytes.writeString(name)
        bytes.writeStaticString(": ")
        bytes.writeString(value)
        bytes.writeStaticString("\r\n")
    }
}
