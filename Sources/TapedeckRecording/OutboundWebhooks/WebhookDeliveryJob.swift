import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import Logging
import NIOCore
import TapedeckCore
import TapedeckStore

/// Sends one delivery: a signed POST of its fixed body. A 2xx answer delivers it; anything else
/// is recorded in the delivery log and tried again on ``WebhookRetrySchedule`` (the job waits
/// with `postpone`, so the schedule, not the queue's attempt limit, decides when to give up).
///
/// Delivery is at least once: a crash after the receiver answered but before the log was
/// written sends the event again, with the same event id for the receiver to de-duplicate.
package struct WebhookDeliveryJob: JobHandler {
    static package let kind = "webhooks.deliver"
    package var kind: String { Self.kind }
    package let catalog: Catalog
    package let http: HTTPClient
    package let secrets: WebhookSecretBox
    package let schedule: WebhookRetrySchedule
    /// `TAPEDECK_WEBHOOK_ALLOW_PRIVATE`: when false, endpoints resolving to loopback, private or
    /// link-local addresses are refused at each delivery.
    package var allowPrivate = true
    package var timeout: TimeAmount = .seconds(10)

    package struct Payload: Codable, Sendable {
        package var deliveryID: UUID
        package enum CodingKeys: String, CodingKey { case deliveryID = "delivery_id" }
    }

    static package func newJob(deliveryID: UUID) throws -> NewJob {
        try NewJob(
            kind: kind, payload: Payload(deliveryID: deliveryID),
            idempotencyKey: "\(kind):\(deliveryID.uuidString.lowercased())", maxAttempts: 50)
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let id = try job.decodedPayload(as: Payload.self).deliveryID
        // Gone with its endpoint, or already finished: nothing to send.
        guard let delivery = try await catalog.pool.webhooks.delivery(id: id), delivery.status == .pending,
            let endpoint = try await catalog.pool.webhooks.endpoint(id: delivery.endpointID)
        else { return }
        let secret: String
        do {
            secret = try secrets.open(endpoint.secretSealed)
        } catch {
            try await catalog.pool.webhooks.recordAttempt(id, .failed(statusCode: nil, error: "\(error)", retryAt: nil))
            return
        }
        let (statusCode, failure) = await send(delivery, to: endpoint.url, secret: secret)
        if let failure {
            let now = catalog.clock.now()
            let retryAt = schedule.nextAttempt(
                after: delivery.attempts + 1, firstQueuedAt: delivery.createdAt, now: now, random: Double.random(in: 0..<1))
            try await catalog.pool.webhooks.recordAttempt(id, .failed(statusCode: statusCode, error: failure, retryAt: retryAt))
            logger.notice(
                "webhook delivery failed", metadata: ["delivery": "\(id)", "error": "\(failure)", "retry": "\(retryAt != nil)"])
            if let retryAt { throw JobOutcome.postpone(reason: failure, seconds: max(0, retryAt.timeIntervalSince(now))) }
        } else {
            try await catalog.pool.webhooks.recordAttempt(id, .delivered(statusCode: statusCode ?? 200))
        }
    }

    /// The receiver's status code, and the failure if it was not a 2xx.
    package func send(_ delivery: WebhookDelivery, to url: String, secret: String) async -> (Int?, String?) {
        let body = Array(delivery.body.utf8)
        let timestamp = Int64(catalog.clock.now().timeIntervalSince1970)
        if !allowPrivate, let refusal = Self.privateTarget(url) { return (nil, refusal) }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Tapedeck-Webhooks/\(TapedeckVersion.current)")
        request.headers.add(name: "Tapedeck-Event-Id", value: delivery.eventID.uuidString.lowercased())
        request.headers.add(name: "Tapedeck-Event-Type", value: delivery.eventType)
        request.headers.add(name: "Tapedeck-Delivery-Id", value: delivery.id.uuidString.lowercased())
        request.headers.add(name: "Tapedeck-Timestamp", value: String(timestamp))
        request.headers.add(name: "Tapedeck-Signature", value: WebhookSignature.sign(secret: secret, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await http.execute(request, timeout: timeout)
            let code = Int(response.status.code)
            // Only the start of an error answer is kept for the log; a success's body is ignored.
            let answer = try? await response.body.collect(upTo: 1 << 20)
            if (200..<300).contains(code) { return (code, nil) }
            let excerpt = answer.map { String(buffer: $0).prefix(200).filter { !$0.isNewline } } ?? ""
            return (code, "HTTP \(code)" + (excerpt.isEmpty ? "" : ": \(excerpt)"))
        } catch {
            return (nil, Self.describe(error))
        }
    }

    /// Why a URL may not be delivered to when private targets are refused, if it may not: its host
    /// is, or resolves to, a private address (every address it resolves to is checked).
    static package func privateTarget(_ url: String) -> String? {
        guard let host = URLComponents(string: url)?.host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
            !host.isEmpty
        else { return "refused: the URL has no host" }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else {
            return "refused: cannot resolve \(host)"
        }
        defer { freeaddrinfo(first) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if PrivateAddress.isPrivate(address) != false {
                    return "refused: \(host) resolves to the private address \(address) (TAPEDECK_WEBHOOK_ALLOW_PRIVATE=false)"
                }
            }
            entry = current.pointee.ai_next
        }
        return nil
    }

    static package func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .deadlineExceeded { return "no answer within the timeout" }
        return String(describing: error).prefix(300).description
    }
}
