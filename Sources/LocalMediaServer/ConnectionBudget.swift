import Foundation
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How many connections the server keeps at once, from the process's file-descriptor limit:
/// connections (a socket each, and a file while media is sent) may never take the descriptors
/// the database, storage and media tools need. A connection over the budget gets a 503 and is
/// closed; when descriptors run out anyway, media answers 503 too (``MediaAnswer``).
final class ConnectionBudget: Sendable {
    private let open = Atomic<Int>(0)
    private let lastWarning = Mutex<NIODeadline?>(nil)
    /// Descriptors the process held before serving (database, event loops, logs).
    let baseline: Int

    init(baseline: Int = ConnectionBudget.descriptorsInUse()) {
        self.baseline = baseline
    }

    /// Connections allowed under a descriptor limit: besides the baseline, an eighth of the
    /// limit (at most 64) is kept for the rest of the server (jobs, media tools, the database
    /// growing its pool), and each connection may need two.
    func allowed(limit: Int) -> Int {
        let spare = limit.subtractingReportingOverflow(baseline + min(64, limit / 8)).partialValue
        return max(0, spare / 2)
    }

    static func descriptorsInUse() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    static func descriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        return Int(clamping: limit.rlim_cur)  // unlimited is the largest value
    }

    /// Counts a new connection in, unless the budget is spent.
    func admit() -> Bool {
        let budget = allowed(limit: Self.descriptorLimit())
        let now = open.add(1, ordering: .relaxed).newValue
        guard now <= budget else {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    /// Logs that descriptors or connections ran out, at most every ten seconds (a flood of
    /// requests would otherwise write a line each).
    func warnShort(_ logger: Logger, _ message: Logger.Message) {
        let now = NIODeadline.now()
        let due = lastWarning.withLock { last in
            guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
            last = now
            return true
        }
        if due { logger.warning(message) }
    }
}

/// In place of the HTTP handlers on a connection over the budget: answers 503 and closes.
final class RefusedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    static let answer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
    }

    /// The request is never read.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(context: ChannelHandlerContext) {
        let bytes = context.channel.allocator.buffer(string: Self.answer)
        context.writeAndFlush(NIOAny(bytes)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
