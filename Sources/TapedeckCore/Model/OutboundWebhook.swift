import Crypto
import Foundation

/// The events Tapedeck sends to a customer's webhook endpoints.
public enum OutboundEventType: String, Sendable, CaseIterable, Codable {
    case recordingStarted = "recording.started"
    case recordingReady = "recording.ready"
    case recordingFailed = "recording.failed"
    case recordingDeleted = "recording.deleted"
    case shareCreated = "share.created"
    /// A ready recording's track (one kind and language) got its first final cues.
    case captionsReady = "recording.captions_ready"

    /// The outbound event an audit-log entry announces, if any. A recording that never produced
    /// anything (`aborted`) is reported as failed: for the customer both mean "no recording".
    public init?(auditType: String) {
        switch auditType {
        case "recording.recording": self = .recordingStarted
        case "recording.ready": self = .recordingReady
        case "recording.failed", "recording.aborted": self = .recordingFailed
        case "recording.deleted": self = .recordingDeleted
        case "share.created": self = .shareCreated
        case "recording.captions_ready": self = .captionsReady
        default: return nil
        }
    }
}

/// `Tapedeck-Signature`: hex HMAC-SHA256 of `"<Tapedeck-Timestamp>.<raw body>"` with the endpoint's
/// secret. The timestamp is inside the signed text so a captured request cannot be replayed later
/// with a fresh timestamp.
public enum WebhookSignature {
    public static func sign(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        var message = Array("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Checks a signature the way a receiver should: constant-time, and only within `tolerance` seconds.
    public static func verify(
        secret: String, timestamp: Int64, body: [UInt8], signature: String, now: Int64, tolerance: Int64 = 300
    ) -> Bool {
        guard abs(now - timestamp) <= tolerance else { return false }
        return ConstantTime.equals(Array(sign(secret: secret, timestamp: timestamp, body: body).utf8), Array(signature.utf8))
    }
}

/// When a failed delivery is tried again: exponential from `initialDelay`, capped at an hour, and
/// given up once `window` has passed since the event (24 h by default, so a receiver that is down
/// for a day still gets everything).
public struct WebhookRetrySchedule: Sendable, Equatable {
    public var initialDelay: TimeInterval
    public var maximumDelay: TimeInterval
    public var window: TimeInterval

    public init(initialDelay: TimeInterval = 10, maximumDelay: TimeInterval = 3600, window: TimeInterval = 86_400) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.window = window
    }

    /// The next attempt's time after `attempts` failures, or `nil` to give up. The last retry is
    /// moved up to the end of the window rather than dropped.
    public func nextAttempt(after attempts: Int, firstQueuedAt: Date, now: Date, random: Double = 0) -> Date? {
        let deadline = firstQueuedAt.addingTimeInterval(window)
        guard now < deadline else { return nil }
        let policy = RetryPolicy(initialDelay: initialDelay, maximumDelay: maximumDelay, jitterFraction: 0.2)
        let next = now.addingTimeInterval(policy.delay(afterAttempt: max(1, attempts), random: random))
        return min(next, deadline)
    }
}

/// A webhook endpoint as the API accepts it, validated without I/O.
public struct WebhookEndpointSpec: Sendable, Equatable {
    public var url: String
    public var events: [OutboundEventType]
    public var description: String?

    public static let maximumURLLength = 2048

    public struct Problem: Error, Equatable, Sendable {
        public var field: String
        public var message: String
    }

    /// Checks the URL (absolute http or https with a host, no credentials or fragment) and the
    /// event names; an empty list means every event.
    public static func validate(url: String, events: [String]?, description: String?) -> Result<WebhookEndpointSpec, Problem> {
        guard url.utf8.count <= maximumURLLength, let parts = URLComponents(string: url),
            let scheme = parts.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = parts.host, !host.isEmpty
        else {
            return .failure(Problem(field: "url", message: "url must be an absolute http or https URL of at most \(maximumURLLength) characters"))
        }
        guard parts.user == nil, parts.password == nil, parts.fragment == nil else {
            return .failure(Problem(field: "url", message: "url must not contain credentials or a fragment"))
        }
        var chosen: [OutboundEventType] = []
        for name in events ?? [] {
            guard let type = OutboundEventType(rawValue: name) else {
                let known = OutboundEventType.allCases.map(\.rawValue).joined(separator: ", ")
                return .failure(Problem(field: "events", message: "unknown event \"\(name.prefix(64))\"; events are \(known)"))
            }
            if !chosen.contains(type) { chosen.append(type) }
        }
        if chosen.isEmpty { chosen = OutboundEventType.allCases }
        if let description, description.unicodeScalars.count > 256 || description.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            return .failure(Problem(field: "description", message: "description must be at most 256 characters without control characters"))
        }
        return .success(WebhookEndpointSpec(url: url, events: chosen, description: description))
    }

    /// A signing secret chosen by the customer: long enough to resist guessing, printable.
    public static func validateSecret(_ secret: String) -> Problem? {
        let count = secret.unicodeScalars.count
        guard (16...256).contains(count), secret.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            return Problem(field: "secret", message: "secret must be 16 to 256 printable ASCII characters without spaces")
        }
        return nil
    }
}
