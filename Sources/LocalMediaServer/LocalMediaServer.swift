// LocalMediaServer: signed `/media` URLs of local storage, answered in the connection's pipeline.
//
// Why: media players fetch many small pieces (HLS segments, 64 KiB ranges of an MP4), and going
// through Hummingbird's async router and header conversions for each cost more than reading the
// bytes; local media must keep within reach of nginx serving the same file (BENCHMARKS.md,
// "/media versus nginx"). So a connection that asks only for media is answered from its raw bytes
// ahead of the HTTP/1 codec (``MediaFrontHandler``), with the head corked to a body sent by
// `sendfile` from the page cache (or read on the I/O thread pool, never on the event loop); media
// behind the codec is answered before the conversion to HTTP types (``MediaFastPathHandler``);
// what neither takes goes to the router (``MediaController``). All check URLs alike
// (``MediaRequest``). The application's own parts (revoked shares, metrics, request ids) come in
// through ``LocalMediaFastPath``; its errors are ``MediaError``s.

import Foundation
import Logging
import NIOCore
import NIOPosix
import ObjectStorage
import TapedeckCore

/// What the pipeline's media handlers need: the store and signer of local media, and the
/// application's hooks.
public struct LocalMediaFastPath: Sendable {
    public var signer: MediaURLSigner
    public var store: LocalDiskStore
    public var clock: any Clock
    public var logger: Logger
    /// Whether the share a URL was granted through has been revoked (its URLs are then refused
    /// with 410 `share_expired`). `nil`: shares are never revoked.
    public var isRevoked: (@Sendable (UUID) -> Bool)?
    /// Called once per request answered here, as the router's metrics middleware would.
    public var recordRequest: @Sendable (_ method: String, _ status: Int, _ duration: Duration) -> Void
    /// The request id to answer with, given the client's `X-Request-Id` (if it sent one).
    public var requestID: @Sendable (_ offered: String?) -> String
    var threadPool: NIOThreadPool = .singleton
    var connectionLimits = MediaConnectionWatch.Limits()
    let connections = ConnectionBudget()

    /// The route requests answered here are counted under.
    public static let route = "/media/**"

    /// - Parameter requestID: by default every response gets a new id.
    public init(
        signer: MediaURLSigner, store: LocalDiskStore, clock: any Clock, logger: Logger,
        isRevoked: (@Sendable (UUID) -> Bool)? = nil,
        recordRequest: @escaping @Sendable (_ method: String, _ status: Int, _ duration: Duration) -> Void = { _, _, _ in },
        requestID: @escaping @Sendable (_ offered: String?) -> String = { _ in RequestIDs.next() }
    ) {
        self.signer = signer
        self.store = store
        self.clock = clock
        self.logger = logger
        self.isRevoked = isRevoked
        self.recordRequest = recordRequest
        self.requestID = requestID
    }

    /// The request's metric and debug log line, as the router would write them.
    func record(method: String, status: Int, requestID: String, started: NIODeadline) {
        let elapsed = NIODeadline.now() - started
        recordRequest(method, status, .nanoseconds(elapsed.nanoseconds))
        logger.debug("\(method) /media \(status)", metadata: ["request_id": "\(requestID)"])
    }
}
