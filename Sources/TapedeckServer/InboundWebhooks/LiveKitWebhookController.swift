import Foundation
import HTTPTypes
import Hummingbird
import LiveKit
import NIOCore
import NIOFoundationCompat
import TapedeckCore
import TapedeckRecording

/// `POST /webhooks/livekit`: verify over the raw bytes, de-duplicate, apply, answer 200.
struct LiveKitWebhookController {
    let verifier: WebhookVerifier?
    /// LiveKit, as the provider its webhooks report to.
    let recorder: (any RecordingProvider<WebhookEvent>)?
    let clock: any Clock

    /// LiveKit events are small; anything larger is not one.
    static let maximumBody = 1 << 20

    func register(on router: Router<TapedeckRequestContext>) {
        router.post("/webhooks/livekit", use: receive)
    }

    @Sendable func receive(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let verifier, let recorder else {
            throw APIError.unavailable(
                "LiveKit is not configured: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET", retryAfterSeconds: 3600)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBody)
        } catch {
            throw APIError.payloadTooLarge(limit: Self.maximumBody)
        }
        let bytes = Array(body.readableBytesView)
        do {
            try verifier.verify(authorization: request.headers[.authorization], body: bytes, now: clock.now())
        } catch {
            context.logger.notice("webhook refused", metadata: ["reason": "\(error)"])
            throw APIError(.unauthorized, code: "invalid_webhook", message: "webhook refused: \(error)", field: "Authorization")
        }
        let event: WebhookEvent
        do {
            event = try WebhookEvent.decode(Data(bytes))
        } catch {
            throw APIError(.badRequest, code: "invalid_event", message: "webhook body refused: \(error)", field: "body")
        }
        let outcome = try await recorder.apply(event)
        context.logger.debug("webhook", metadata: ["event": "\(event.event)", "id": "\(event.id)", "outcome": "\(outcome)"])
        return JSONResponse(["status": outcome.rawValue]).makeResponse()
    }
}
