import Crypto
import Foundation
import Testing
import TestSupport
@testable import LiveKit

/// Webhooks and EgressInfo written by the official LiveKit SDK (tools/vectors/livekit_vectors.py):
/// Tapedeck must verify the SDK's signatures and read back exactly what the SDK put in.
@Suite("LiveKit SDK vectors")
struct SDKVectorTests {
    struct File: Decodable {
        var key: String
        var secret: String
        var webhooks: [Webhook]
        var egress_infos: [Egress]
    }

    struct Webhook: Decodable, CustomStringConvertible {
        var name: String
        var body: String
        var authorization: String
        var signed_at: Double
        var expected: Expected
        var description: String { name }
    }

    struct Egress: Decodable, CustomStringConvertible {
        var name: String
        var json: String
        var expected: ExpectedEgress
        var description: String { name }
    }

    struct Expected: Decodable {
        struct Room: Decodable {
            var name: String
            var sid: String
            var creation_time: Int64
        }
        struct Participant: Decodable {
            var identity: String
            var name: String
            var kind: Int
            var attributes: [String: String]
            var metadata: String
            var joined_at: Int64
        }
        var event: String
        var id: String
        var created_at: Int64
        var room: Room?
        var participant: Participant?
        var egress: ExpectedEgress?
    }

    struct ExpectedEgress: Decodable {
        struct File: Decodable {
            var filename: String
            var duration_ns: Int64
            var size: Int64
        }
        struct Segments: Decodable {
            var playlist_name: String
            var duration_ns: Int64
            var size: Int64
            var segment_count: Int64
        }
        var egress_id: String
        var room_name: String
        var status: Int
        var started_at_ns: Int64
        var ended_at_ns: Int64
        var error: String
        var files: [File]
        var segments: [Segments]
    }

    static let file: File = {
        let url = Bundle.module.url(forResource: "livekit", withExtension: "json")!
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    static var verifier: WebhookVerifier {
        WebhookVerifier(keys: [LiveKitCredentials(apiKey: file.key, apiSecret: file.secret)])
    }

    @Test("the SDK's webhook signatures verify", arguments: file.webhooks)
    func verifies(webhook: Webhook) throws {
        try Self.verifier.verify(
            authorization: webhook.authorization, body: Array(webhook.body.utf8),
            now: Date(timeIntervalSince1970: webhook.signed_at + 1))
    }

    @Test("webhooks decode to what the SDK encoded", arguments: file.webhooks)
    func decodes(webhook: Webhook) throws {
        let event = try WebhookEvent.decode(Data(webhook.body.utf8))
        let expected = webhook.expected
        #expect(event.event == expected.event)
        #expect(event.id == expected.id)
        #expect(event.createdAt == expected.created_at)
        #expect(event.room?.name == expected.room?.name)
        #expect(event.room?.sid == expected.room?.sid)
        #expect(event.room?.creationTime == expected.room?.creation_time)
        if let participant = expected.participant {
            let decoded = try #require(event.participant)
            #expect(decoded.identity == participant.identity)
            #expect((decoded.name ?? "") == participant.name)
            #expect(decoded.kind.rawValue == participant.kind)
            #expect(decoded.attributes == participant.attributes)
            #expect((decoded.metadata ?? "") == participant.metadata)
            #expect(decoded.joinedAt == participant.joined_at)
        } else {
            #expect(event.participant == nil)
        }
        if let egress = expected.egress {
            try Self.check(try #require(event.egress), against: egress)
        } else {
            #expect(event.egress == nil)
        }
    }

    @Test("Twirp EgressInfo decodes to what the SDK encoded", arguments: file.egress_infos)
    func decodesTwirp(egress: Egress) throws {
        let json = try #require(ProtoJSON(data: Data(egress.json.utf8)))
        try Self.check(try #require(EgressInfo(json)), against: egress.expected)
    }

    static func check(_ info: EgressInfo, against expected: ExpectedEgress) throws {
        #expect(info.egressID == expected.egress_id)
        #expect(info.roomName == expected.room_name)
        #expect(info.status.rawValue == expected.status)
        #expect((info.startedAtNs ?? 0) == expected.started_at_ns)
        #expect((info.endedAtNs ?? 0) == expected.ended_at_ns)
        #expect((info.error ?? "") == expected.error)
        #expect(info.fileResults.map(\.filename) == expected.files.map(\.filename))
        #expect(info.fileResults.map { $0.durationNs ?? 0 } == expected.files.map(\.duration_ns))
        #expect(info.fileResults.map { $0.size ?? 0 } == expected.files.map(\.size))
        #expect(info.segmentResults.map(\.playlistName) == expected.segments.map(\.playlist_name))
        #expect(info.segmentResults.map { $0.segmentCount ?? 0 } == expected.segments.map(\.segment_count))
        #expect(info.segmentResults.map { $0.size ?? 0 } == expected.segments.map(\.size))
    }

    @Test func missingStatusMeansStarting() throws {
        let started = try #require(Self.file.webhooks.first { $0.name == "egress_started without status" })
        #expect(!started.body.contains("status"))
        #expect(try WebhookEvent.decode(Data(started.body.utf8)).egress?.status == .starting)
    }

    @Test func durationFallsBackToTimestamps() throws {
        let negative = try #require(Self.file.webhooks.first { $0.name == "egress_ended negative duration" })
        let egress = try #require(try WebhookEvent.decode(Data(negative.body.utf8)).egress)
        let file = try #require(egress.fileResults.first)
        #expect(EgressInfo.durationMs(reportedNs: file.durationNs, startedAtNs: file.startedAtNs, endedAtNs: file.endedAtNs) == 120_000)
        #expect(EgressInfo.durationMs(reportedNs: 120_500_000_000, startedAtNs: nil, endedAtNs: nil) == 120_500)
    }

    // MARK: rejections

    static var sample: Webhook { file.webhooks[1] }

    static func rejection(authorization: String?, body: String, at offset: Double = 1, keys: [LiveKitCredentials]? = nil)
        -> WebhookVerifier.Rejection?
    {
        let verifier = keys.map(WebhookVerifier.init(keys:)) ?? Self.verifier
        do {
            try verifier.verify(
                authorization: authorization, body: Array(body.utf8),
                now: Date(timeIntervalSince1970: sample.signed_at + offset))
            return nil
        } catch {
            return error
        }
    }

    @Test func tamperedBodyIsRejected() {
        let body = Self.sample.body.replacingOccurrences(of: "Ada Lovelace", with: "Eve")
        #expect(Self.rejection(authorization: Self.sample.authorization, body: body) == .bodyMismatch)
        // Re-serializing is a change too: only the raw bytes count.
        #expect(Self.rejection(authorization: Self.sample.authorization, body: Self.sample.body + " ") == .bodyMismatch)
    }

    @Test func expiredTokensAreRejectedAfterTheLeeway() {
        // The SDK signs with a 5 minute validity; one minute of leeway on top.
        #expect(Self.rejection(authorization: Self.sample.authorization, body: Self.sample.body, at: 300 + 59) == nil)
        if case .expired = Self.rejection(authorization: Self.sample.authorization, body: Self.sample.body, at: 300 + 61) {
        } else {
            Issue.record("a token past exp + leeway was accepted")
        }
        if case .expired = Self.rejection(authorization: Self.sample.authorization, body: Self.sample.body, at: -61) {
        } else {
            Issue.record("a token before nbf - leeway was accepted")
        }
    }

    @Test func unknownKeysAndWrongSecretsAreRejected() {
        let other = [LiveKitCredentials(apiKey: "APIother", apiSecret: Self.file.secret)]
        #expect(Self.rejection(authorization: Self.sample.authorization, body: Self.sample.body, keys: other) == .unknownKey)
        let wrongSecret = [LiveKitCredentials(apiKey: Self.file.key, apiSecret: "not-the-secret")]
        #expect(Self.rejection(authorization: Self.sample.authorization, body: Self.sample.body, keys: wrongSecret) == .badSignature)
        #expect(Self.rejection(authorization: nil, body: Self.sample.body) == .missingAuthorization)
        #expect(Self.rejection(authorization: "not.a.jwt", body: Self.sample.body) == .malformedToken)
    }

    @Test func rotatedKeysAreAllAccepted() {
        let keys = [
            LiveKitCredentials(apiKey: "APInew", apiSecret: "new-secret"),
            LiveKitCredentials(apiKey: Self.file.key, apiSecret: Self.file.secret),
        ]
        #expect(Self.rejection(authorization: Self.sample.authorization, body: Self.sample.body, keys: keys) == nil)
    }

    @Test func bearerPrefixFromAProxyIsTolerated() {
        #expect(Self.rejection(authorization: "Bearer " + Self.sample.authorization, body: Self.sample.body) == nil)
        #expect(Self.rejection(authorization: "bEARER " + Self.sample.authorization, body: Self.sample.body) == nil)
        #expect(Self.rejection(authorization: "Bearer", body: Self.sample.body) == .malformedToken)
    }

    /// Whitespace around the header, ASCII or not, is not part of the token.
    @Test func surroundingWhitespaceIsTrimmed() {
        let token = Self.sample.authorization
        for wrapped in [" \(token)", "\(token)\t", "\u{00A0}\(token)\u{2003}", " Bearer \(token) "] {
            #expect(Self.rejection(authorization: wrapped, body: Self.sample.body) == nil, "\(wrapped.debugDescription)")
        }
        for blank in ["", " ", "\t \u{00A0}"] {
            #expect(Self.rejection(authorization: blank, body: Self.sample.body) == .missingAuthorization)
        }
        // Inside the token, whitespace is a change to it.
        let middle = token.index(token.startIndex, offsetBy: token.count / 2)
        #expect(Self.rejection(authorization: token[..<middle] + " " + token[middle...], body: Self.sample.body) != nil)
    }

    /// Every hostile string as the Authorization header, alone and around a valid token: refused
    /// with a reason, never accepted, never a crash.
    @Test func hostileAuthorizationHeaders() {
        for hostile in HostileStrings.all {
            #expect(Self.rejection(authorization: hostile, body: Self.sample.body) != nil, "\(hostile.debugDescription)")
            // Accepted only when what was added is trimmable whitespace.
            let blank = hostile.trimmingCharacters(in: .whitespaces).isEmpty
            #expect((Self.rejection(authorization: hostile + Self.sample.authorization, body: Self.sample.body) == nil) == blank)
            #expect((Self.rejection(authorization: Self.sample.authorization + hostile, body: Self.sample.body) == nil) == blank)
        }
    }
}
