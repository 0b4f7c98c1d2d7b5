import Foundation

/// A LiveKit webhook (`WebhookEvent`), decoded leniently.
public struct WebhookEvent: Sendable, Equatable {
    /// `room_started`, `participant_joined`, `egress_ended`, ...
    public var event: String
    /// `EV_...`: redeliveries carry the same id.
    public var id: String
    /// Seconds since the epoch.
    public var createdAt: Int64?
    public var room: RoomInfo?
    public var participant: ParticipantInfo?
    public var egress: EgressInfo?

    public init(
        event: String, id: String, createdAt: Int64? = nil, room: RoomInfo? = nil, participant: ParticipantInfo? = nil,
        egress: EgressInfo? = nil
    ) {
        self.event = event
        self.id = id
        self.createdAt = createdAt
        self.room = room
        self.participant = participant
        self.egress = egress
    }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case notJSON
        case missingField(String)

        public var description: String {
            switch self {
            case .notJSON: "the body is not a JSON object"
            case .missingField(let name): "the event has no \(name)"
            }
        }
    }

    public static func decode(_ body: Data) throws(DecodeError) -> WebhookEvent {
        guard let json = ProtoJSON(data: body) else { throw .notJSON }
        guard let event = json.string("event"), !event.isEmpty else { throw .missingField("event") }
        guard let id = json.string("id"), !id.isEmpty else { throw .missingField("id") }
        return WebhookEvent(
            event: event, id: id, createdAt: json.int64("created_at"), room: json.object("room").flatMap(RoomInfo.init),
            participant: json.object("participant").flatMap(ParticipantInfo.init),
            egress: json.object("egress_info").flatMap(EgressInfo.init))
    }
}
