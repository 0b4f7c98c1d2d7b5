import Foundation
import HMS
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckCore
import TapedeckRecording

/// `POST /webhooks/100ms`: 100ms signs nothing, so the webhook carries a secret in a header set
/// on it in 100ms' dashboard (`Tapedeck-Webhook-Secret`), compared in constant time; optionally
/// only 100ms' published addresses may send. De-duplicated, applied, answered with exactly 200
/// (100ms retries anything else). What the event claims about a recording is confirmed over
/// REST before it has any effect (see ``HMSSyncJob``).
struct HMSWebhookController {
    /// The expected header value; `nil` when 100ms is not configured.
    let secret: [UInt8]?
    /// When set, only these addresses may send webhooks.
    let sourceIPs: TrustedProxies?
    /// Who the sender is when Tapedeck runs behind a proxy.
    let trustedProxies: TrustedProxies
    let recorder: (any RecordingProvider<HMSWebhookEvent>)?

    static let maximumBody = 1 << 20
    static let secretHeader = HTTPField.Name(HMSSettings.secretHeader)!

    func register(on router: Router<TapedeckRequestContext>) {
        router.post("/webhooks/100ms", use: receive)
    }

    @Sendable func receive(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard let secret, let recorder else {
            throw APIError.unavailable("100ms is not configured: set HMS_ACCESS_KEY and HMS_SECRET", retryAfterSeconds: 3600)
        }
        if let sourceIPs {
            let sender = trustedProxies.clientAddress(
                peer: context.remoteAddress?.ipAddress ?? "", forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!])
            guard sourceIPs.contains(sender) else {
                context.logger.notice("100ms webhook refused: sender not allowed", metadata: ["sender": "\(sender)"])
                throw APIError(.forbidden, code: "sender_not_allowed", message: "webhooks are accepted only from 100ms' addresses")
            }
        }
        guard let given = request.headers[Self.secretHeader], ConstantTime.equals(Array(given.utf8), secret) else {
            context.logger.notice("100ms webhook refused: missing or wrong secret")
            throw APIError(
                .unauthorized, code: "invalid_webhook", message: "webhook refused: missing or wrong \(HMSSettings.secretHeader)",
                field: HMSSettings.secretHeader)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBody)
        } catch {
            throw APIError.payloadTooLarge(limit: Self.maximumBody)
        }
        let event: HMSWebhookEvent
        do {
            event = try HMSWebhookEvent.decode(Data(body.readableBytesView))
        } catch {
            throw APIError(.badRequest, code: "invalid_event", message: "webhook body refused: \(error)", field: "body")
        }
        let outcome = try await recorder.apply(event)
        context.logger.debug("100ms webhook", metadata: ["type": "\(event.type)", "id": "\(event.id)", "outcome": "\(outcome)"])
        return JSONResponse(["status": outcome.rawValue]).makeResponse()
    }
}
