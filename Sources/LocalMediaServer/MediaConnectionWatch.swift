import NIOCore

/// Decides, once a second, whether a connection must be closed because its client stopped
/// taking the answers (no byte of them left for ``sendTimeout``, as nginx's `send_timeout`), or
/// because a media connection sat idle for ``idleTimeout``. Without it a client that asks and
/// never reads holds its connection, and whatever answer is queued on it, forever.
struct MediaConnectionWatch {
    struct Limits: Sendable {
        /// Seconds an unsent answer may make no progress.
        var sendTimeout = 60
        /// Seconds a media connection may go without a request while nothing is unsent.
        var idleTimeout = 75
        /// Once the server is shutting down, an answer may stall only this long.
        var shutdownSendTimeout = 2
    }

    static let tick = TimeAmount.seconds(1)

    let limits: Limits
    /// The server asked the connection to finish (graceful shutdown).
    var quiescing = false
    /// Bytes were received since the last tick.
    var readSinceTick = false
    /// Bytes handed to the channel so far; minus what it still buffers, the bytes sent.
    private var enqueued: Int64 = 0
    private var lastSent: Int64 = 0
    private var stalledSeconds = 0
    private var idleSeconds = 0

    init(limits: Limits) {
        self.limits = limits
    }

    mutating func wrote(_ bytes: Int) {
        enqueued += Int64(bytes)
    }

    /// One tick: `buffered` is what the channel has not sent yet; `mayIdle` whether nothing is
    /// in progress on the connection that would count as activity of its own.
    mutating func tick(buffered: Int64, mayIdle: Bool) -> Bool {
        let sent = enqueued - buffered
        stalledSeconds = buffered == 0 || sent > lastSent ? 0 : stalledSeconds + 1
        lastSent = sent
        idleSeconds = readSinceTick || buffered > 0 || !mayIdle ? 0 : idleSeconds + 1
        readSinceTick = false
        let stallLimit = quiescing ? limits.shutdownSendTimeout : limits.sendTimeout
        return stalledSeconds < stallLimit && idleSeconds < limits.idleTimeout
    }
}
