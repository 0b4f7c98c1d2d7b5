import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on 127.0.0.1 that answers each command line with what the test scripts, for
/// the behaviours a well-behaved server never shows (EHLO refused, odd multi-line replies,
/// bytes slipped in after a STARTTLS reply, a SIZE limit).
final class ScriptedSMTPServer: Sendable {
    /// What the server writes for one line it received (nil: close the connection).
    typealias Script = @Sendable (_ line: String) -> String?

    let channel: any Channel
    var port: Int { channel.localAddress!.port! }

    init(greeting: String = "220 scripted.test ESMTP\r\n", script: @escaping Script) async throws {
        let log = Box()
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Handler(greeting: greeting, script: script, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.log = log
    }

    private let log: Box
    var lines: [String] { log.lines.withLock { $0 } }

    final class Box: Sendable {
        let lines = Mutex<[String]>([])
    }

    func close() { channel.close(promise: nil) }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let greeting: String
        let script: Script
        let log: Box
        var pending: [UInt8] = []
        var inData = false

        init(greeting: String, script: @escaping Script, log: Box) {
            self.greeting = greeting
            self.script = script
            self.log = log
        }

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: greeting)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            pending += unwrapInboundIn(data).readableBytesView
            while let end = pending.firstIndex(of: 0x0A) {
                var line = Array(pending[..<end])
                pending.removeFirst(end + 1)
                if line.last == 0x0D { line.removeLast() }
                let text = String(decoding: line, as: UTF8.self)
                log.lines.withLock { $0.append(text) }
                if inData {
                    if text == "." { inData = false } else { continue }
                }
                guard let answer = script(inData ? "" : text) else {
                    context.close(promise: nil)
                    return
                }
                if text.uppercased() == "DATA", answer.hasPrefix("354") { inData = true }
                context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: answer)), promise: nil)
            }
        }
    }
}
