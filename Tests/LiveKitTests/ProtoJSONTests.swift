import Foundation
import Testing
@testable import LiveKit

@Suite("Protobuf JSON field names")
struct ProtoJSONTests {
    @Test func snakeCaseNamesBecomeLowerCamel() {
        let cases = [
            ("sid", "sid"), ("room_sid", "roomSid"), ("joined_at", "joinedAt"), ("num_participants", "numParticipants"),
            ("egress_id", "egressId"), ("a__b", "aB"), ("_x", "X"), ("trailing_", "trailing"), ("v2_key", "v2Key"), ("", ""),
        ]
        for (snake, camel) in cases { #expect(ProtoJSON.lowerCamel(snake) == camel, "\(snake)") }
    }

    /// A field is found under either name, and a JSON null counts as absent.
    @Test func fieldsAreReadUnderEitherName() throws {
        let webhook = try #require(ProtoJSON(data: Data(#"{"roomSid":"RM_1","numParticipants":"3","metadata":null}"#.utf8)))
        let twirp = try #require(ProtoJSON(data: Data(#"{"room_sid":"RM_2","num_participants":4}"#.utf8)))
        #expect(webhook.string("room_sid") == "RM_1" && twirp.string("room_sid") == "RM_2")
        #expect(webhook.int64("num_participants") == 3 && twirp.int64("num_participants") == 4)
        #expect(webhook.raw("metadata") == nil && webhook.raw("absent_field") == nil)
    }
}
