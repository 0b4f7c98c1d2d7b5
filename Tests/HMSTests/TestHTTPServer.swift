import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as the test server received it.
struct RecordedRequest: Sendable {
    var method: String
    /// The target exactly as sent (still percent-encoded).
    var uri: String
    var headers: [(String, String)]
    var body: Data

    var path: String { String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]) }

    /// The query parameters, decoded.
    var query: [String: String] {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return [:] }
        var out: [String: String] = [:]
        for pair in parts[1].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let value = kv.count == 2 ? Self.percentDecoded(kv[1]) ?? "<bad>" : ""
            out[String(kv[0])] = value
        }
        return out
    }

    /// Percent-decoding by hand: Foundation's `removingPercentEncoding` drops a leading U+FEFF.
    static func percentDecoded(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
}

/// What the test server answers.
struct ScriptedResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: Data = Data()
    /// Answer only after this long (to provoke client timeouts).
    var delay: TimeAmount? = nil

    static func json(_ status: Int, _ text: String, headers: [(String, String)] = []) -> ScriptedResponse {
        ScriptedResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: Data(text.utf8))
    }
}

/// A minimal HTTP/1.1 server on 127.0.0.1 whose answers a closure scripts; it records every request.
final class TestHTTPServer: Sendable {
    typealias Script = @Sendable (_ request: RecordedRequest, _ index: Int) -> ScriptedResponse

    let port: Int
    private let channel: any Channel
    private let state: Mutex<[RecordedRequest]>
    private let script: Script

    var baseURL: String { "http://127.0.0.1:\(port)/v2" }
    var requests: [RecordedRequest] { state.withLock { $0 } }

    private init(channel: any Channel, script: @escaping Script) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.script = script
        self.state = Mutex([])
    }

    static func start(_ script: @escaping Script) async throws -> TestHTTPServer {
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestHTTPServer(channel: channel, script: script)
        box.server.withLock { $0 = server }
        return server
    }

    func respond(to request: RecordedRequest) -> ScriptedResponse {
        let index = state.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        return script(request, index)
    }

    func shutdown() async {
        try? await channel.close()
    }

    final class ServerBox: Sendable {
        let server = Mutex<TestHTTPServer?>(nil)
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let box: ServerBox
        var head: HTTPRequestHead?
        var body = Data()

        init(box: ServerBox) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = Data()
            case .body(var buffer):
                body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .end:
                guard let head, let server = box.server.withLock({ $0 }) else { return }
                let request = RecordedRequest(
                    method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
                let response = server.respond(to: request)
                let keepAlive = head.isKeepAlive
                if let delay = response.delay {
                    let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                    context.eventLoop.scheduleTask(in: delay) {
                        Self.write(response, keepAlive: keepAlive, context: loopBound.value)
                    }
                } else {
                    Self.write(response, keepAlive: keepAlive, context: context)
                }
            }
        }

        static func write(_ response: ScriptedResponse, keepAlive: Bool, context: ChannelHandlerContext) {
            guard context.channel.isActive else { return }
            var headers = HTTPHeaders(response.headers)
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
            headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
            context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
            let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
            if !keepAlive {
                let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
                done.whenComplete { _ in loopBound.value.close(promise: nil) }
            }
        }
    }
}
