import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with local media answered in the pipeline: by
/// ``MediaFrontHandler`` from the raw bytes while a connection asks for nothing else, then by
/// ``MediaFastPathHandler`` in front of the conversion to HTTP types (NIOHTTP1 terms, no header
/// conversion either way); everything else continues exactly as in `HTTP1Channel`.
struct MediaAwareHTTP1Channel: HTTPChannelHandler {
    let responder: HTTPChannelHandler.Responder
    let media: LocalMediaFastPath

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>> {
        channel.eventLoop.makeCompletedFuture {
            if media.connections.admit() {
                channel.closeFuture.whenComplete { _ in media.connections.release() }
            } else {
                media.connections.warnShort(logger, "connection budget spent: new connections answered with 503")
                try channel.pipeline.syncOperations.addHandler(RefusedConnectionHandler())
                return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
            }
            // A 64 KiB range plus its head crosses NIO's default 64 KiB high-water mark, and every
            // crossing walks the whole pipeline twice (unwritable, writable again).
            try channel.syncOptions?.setOption(
                ChannelOptions.writeBufferWaterMark, value: .init(low: 128 << 10, high: 256 << 10))
            try channel.pipeline.syncOperations.addHandler(MediaFrontHandler(dependencies: media))
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,  // the async channel serialises requests
                withErrorHandling: false,  // errors are answered by the application
                withOutboundHeaderValidation: false,  // HTTP types validate headers already
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: .init())
            try channel.pipeline.syncOperations.addHandler(MediaFastPathHandler(dependencies: media))
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandler(HTTPConnectionStateHandler(idleTimeout: nil, logger: logger))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with local media answered in the channel pipeline.
    public static func http1(media: LocalMediaFastPath) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in MediaAwareHTTP1Channel(responder: responder, media: media) }
    }
}
