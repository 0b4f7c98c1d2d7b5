import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with ``MediaFastPathHandler`` in front of the conversion
/// to HTTP types: media requests are answered in NIOHTTP1 terms (no header conversion either
/// way), everything else continues exactly as in `HTTP1Channel`.
struct MediaAwareHTTP1Channel: HTTPChannelHandler {
    let responder: HTTPChannelHandler.Responder
    let media: MediaFastPathHandler.Dependencies

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>> {
        channel.eventLoop.makeCompletedFuture {
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
    static func http1(media: MediaFastPathHandler.Dependencies) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in MediaAwareHTTP1Channel(responder: responder, media: media) }
    }
}
