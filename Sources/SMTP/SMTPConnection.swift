import NIOCore
import NIOPosix
import NIOSSL

/// Splits the server's bytes into reply lines and replies, and hands them out one at a time to
/// the client's dialogue. Lives on the channel's event loop; the first failure (a TLS error, a
/// dropped connection, a timeout) is kept and every later wait gets it.
final class SMTPReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    /// Longer than any reply line a server sends (RFC 5321 allows 512): a bound for a hostile peer.
    static let maximumLineLength = 4096

    private var partialLine: [UInt8] = []
    private var parser = SMTPReplyParser()
    private var replies: CircularBuffer<SMTPReply> = []
    private var failure: SMTPError?
    private var waiter: (promise: EventLoopPromise<SMTPReply>, timeout: Scheduled<Void>)?
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard failure == nil else { return }
        for byte in buffer.readableBytesView {
            if byte == 0x0A {
                if partialLine.last == 0x0D { partialLine.removeLast() }
                let line = String(decoding: partialLine, as: UTF8.self)
                partialLine.removeAll(keepingCapacity: true)
                do throws(SMTPReplyParser.Failure) {
                    if let reply = try parser.consume(line: line) { deliver(reply) }
                } catch {
                    switch error {
                    case .malformed(let text): fail(.transient(code: nil, reply: "the server sent a malformed reply: \(text)"))
                    case .tooLong: fail(.transient(code: nil, reply: "the server sent a reply of too many lines"))
                    }
                    return
                }
            } else {
                partialLine.append(byte)
                if partialLine.count > Self.maximumLineLength {
                    fail(.transient(code: nil, reply: "the server sent a reply line longer than \(Self.maximumLineLength) bytes"))
                    return
                }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(SMTPClient.classify(error))
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.transient(code: nil, reply: "the server closed the connection"))
        context.fireChannelInactive()
    }

    /// The next reply, or the connection's failure; fails with a timeout after `timeout`.
    func nextReply(timeout: TimeAmount, eventLoop: any EventLoop) -> EventLoopFuture<SMTPReply> {
        if let reply = replies.popFirst() { return eventLoop.makeSucceededFuture(reply) }
        if let failure { return eventLoop.makeFailedFuture(failure) }
        precondition(waiter == nil, "one reply is awaited at a time")
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        let seconds = timeout.nanoseconds / 1_000_000_000
        let timeoutTask = eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(.transient(code: nil, reply: "no reply from the server within \(seconds) s"))
        }
        waiter = (promise, timeoutTask)
        return promise.futureResult
    }

    /// Bytes or replies received and not yet read: after a STARTTLS reply there must be none,
    /// or a man in the middle could have slipped in replies that would be taken as encrypted.
    var hasUnreadInput: Bool { !partialLine.isEmpty || parser.isMidReply || !replies.isEmpty }

    /// The failure that ended the connection, if any.
    var connectionFailure: SMTPError? { failure }

    func fail(_ error: SMTPError) {
        guard failure == nil else { return }
        failure = error
        if let waiter {
            self.waiter = nil
            waiter.timeout.cancel()
            waiter.promise.fail(error)
        }
        context?.close(promise: nil)
    }

    private func deliver(_ reply: SMTPReply) {
        if let waiter {
            self.waiter = nil
            waiter.timeout.cancel()
            waiter.promise.succeed(reply)
        } else {
            replies.append(reply)
        }
    }
}

/// One TCP (or TLS) connection to the server: write a command, wait for its reply, upgrade
/// with STARTTLS. Every wait is bounded by the reply timeout, the whole connection by the
/// message timeout.
final class SMTPConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<SMTPReplyHandler>
    private let replyTimeout: TimeAmount

    private init(channel: any Channel, handler: NIOLoopBound<SMTPReplyHandler>, replyTimeout: TimeAmount) {
        self.channel = channel
        self.handler = handler
        self.replyTimeout = replyTimeout
    }

    static func connect(
        configuration: SMTPConfiguration, group: any EventLoopGroup, implicitTLS: NIOSSLContext?
    ) async throws -> SMTPConnection {
        let eventLoop = group.next()
        let handler = try await eventLoop.submit { NIOLoopBound(SMTPReplyHandler(), eventLoop: eventLoop) }.get()
        let serverName = SMTPClient.serverNameForTLS(configuration.host)
        let channel = try await ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: implicitTLS, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
            .connect(host: configuration.host, port: configuration.port).get()
        let connection = SMTPConnection(channel: channel, handler: handler, replyTimeout: TimeAmount(configuration.replyTimeout))
        // The whole exchange of one message is bounded, however slowly a server trickles replies.
        let limit = configuration.messageTimeout
        let deadline = eventLoop.scheduleTask(in: TimeAmount(limit)) {
            handler.value.fail(.transient(code: nil, reply: "the message was not delivered within \(limit)"))
        }
        channel.closeFuture.whenComplete { _ in deadline.cancel() }
        return connection
    }

    func reply() async throws -> SMTPReply {
        let handler = self.handler, timeout = self.replyTimeout, eventLoop = channel.eventLoop
        return try await eventLoop.flatSubmit { handler.value.nextReply(timeout: timeout, eventLoop: eventLoop) }.get()
    }

    /// Sends one command line and returns its reply.
    func command(_ line: String) async throws -> SMTPReply {
        try await write(Array((line + "\r\n").utf8))
        return try await reply()
    }

    func write(_ bytes: [UInt8]) async throws {
        do {
            try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
        } catch {
            // A write fails because the connection ended: report why it ended, when known.
            throw try await failure() ?? SMTPClient.classify(error)
        }
    }

    func failure() async throws -> SMTPError? {
        let handler = self.handler
        return try await channel.eventLoop.submit { handler.value.connectionFailure }.get()
    }

    /// Puts TLS under the reply handler after the server's 220 to STARTTLS; refuses when the
    /// server already sent more (those bytes would be taken as if they came over TLS).
    func startTLS(context: NIOSSLContext, serverName: String?) async throws {
        let handler = self.handler, channel = self.channel
        try await channel.eventLoop.submit {
            guard !handler.value.hasUnreadInput else {
                throw SMTPError.tls("the server sent data before the TLS handshake began; refusing it")
            }
            try channel.pipeline.syncOperations.addHandler(
                NIOSSLClientHandler(context: context, serverHostname: serverName), position: .first)
        }.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}
