import Foundation
import Testing
import TapedeckCore

@Suite("Outbound webhooks")
struct OutboundWebhookTests {
    // Expected value from Python: hmac.new(secret, b"1795000000." + body, hashlib.sha256).hexdigest()
    @Test func signatureIsHMACOfTimestampDotBody() {
        let body = Array(#"{"id":"x"}"#.utf8)
        let signature = WebhookSignature.sign(secret: "whsec_test_secret_0123456789", timestamp: 1_795_000_000, body: body)
        #expect(signature == "1c0bdc2545bf80f95ba95afa5f29c97f16d65f32134c5e85fa6c51bb30324785")
        #expect(WebhookSignature.verify(
            secret: "whsec_test_secret_0123456789", timestamp: 1_795_000_000, body: body, signature: signature, now: 1_795_000_100))
    }

    @Test func verificationRejectsTamperingOtherSecretsAndOldTimestamps() {
        let body = Array(#"{"id":"x"}"#.utf8)
        let secret = "whsec_test_secret_0123456789"
        let signature = WebhookSignature.sign(secret: secret, timestamp: 1000, body: body)
        #expect(!WebhookSignature.verify(secret: secret, timestamp: 1000, body: Array(#"{"id":"y"}"#.utf8), signature: signature, now: 1000))
        #expect(!WebhookSignature.verify(secret: secret + "!", timestamp: 1000, body: body, signature: signature, now: 1000))
        #expect(!WebhookSignature.verify(secret: secret, timestamp: 1001, body: body, signature: signature, now: 1001))
        #expect(!WebhookSignature.verify(secret: secret, timestamp: 1000, body: body, signature: signature, now: 1000 + 301))
    }

    @Test func auditTypesMapToOutboundEvents() {
        #expect(OutboundEventType(auditType: "recording.recording") == .recordingStarted)
        #expect(OutboundEventType(auditType: "recording.ready") == .recordingReady)
        #expect(OutboundEventType(auditType: "recording.failed") == .recordingFailed)
        #expect(OutboundEventType(auditType: "recording.aborted") == .recordingFailed)
        #expect(OutboundEventType(auditType: "recording.deleted") == .recordingDeleted)
        #expect(OutboundEventType(auditType: "share.created") == .shareCreated)
        for other in ["recording.starting", "recording.stopping", "recording.processing", "playback.granted", "share.used"] {
            #expect(OutboundEventType(auditType: other) == nil, "\(other)")
        }
    }

    @Test func retriesBackOffAndStopAfterTheWindow() throws {
        let schedule = WebhookRetrySchedule(initialDelay: 10, maximumDelay: 3600, window: 86_400)
        let start = Date(timeIntervalSince1970: 1_000_000)
        let delays = (1...10).map { attempts in
            schedule.nextAttempt(after: attempts, firstQueuedAt: start, now: start, random: 0)!.timeIntervalSince(start)
        }
        #expect(delays == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600])
        // Near the end of the window the last retry lands on its edge; after it, none.
        let late = start.addingTimeInterval(86_000)
        #expect(schedule.nextAttempt(after: 20, firstQueuedAt: start, now: late) == start.addingTimeInterval(86_400))
        #expect(schedule.nextAttempt(after: 21, firstQueuedAt: start, now: start.addingTimeInterval(86_400)) == nil)
        // A whole day of failures is a few dozen attempts, not thousands.
        var now = start
        var attempts = 0
        while let next = schedule.nextAttempt(after: attempts + 1, firstQueuedAt: start, now: now, random: 0.5) {
            attempts += 1
            now = next
            if attempts > 100 { break }
        }
        #expect(attempts > 20 && attempts < 40, "\(attempts) attempts")
    }

    @Test func endpointValidationNamesTheField() {
        func field(_ url: String, _ events: [String]? = nil, _ description: String? = nil) -> String? {
            if case .failure(let problem) = WebhookEndpointSpec.validate(url: url, events: events, description: description) {
                return problem.field
            }
            return nil
        }
        #expect(field("https://app.example.com/hooks/tapedeck") == nil)
        #expect(field("http://127.0.0.1:9000/x", ["recording.ready", "recording.ready"]) == nil)
        for bad in ["", "ftp://x/y", "/relative", "https://", "https://user:pw@example.com/", "https://e.com/#frag",
                    "https://e.com/" + String(repeating: "a", count: 2100)] {
            #expect(field(bad) == "url", "\(bad.prefix(40))")
        }
        #expect(field("https://e.com", ["recording.exploded"]) == "events")
        #expect(field("https://e.com", nil, "line\nbreak") == "description")
        if case .success(let spec) = WebhookEndpointSpec.validate(url: "https://e.com", events: [], description: nil) {
            #expect(spec.events == OutboundEventType.allCases)
        } else {
            Issue.record("an empty event list means every event")
        }
        #expect(WebhookEndpointSpec.validateSecret("short")?.field == "secret")
        #expect(WebhookEndpointSpec.validateSecret("has a space in it!!") != nil)
        #expect(WebhookEndpointSpec.validateSecret("whsec_0123456789abcdef") == nil)
    }
}
