import Foundation

/// What kind of participant: people are `standard`; recorders and agents never count as people.
public enum ParticipantKind: Int, Sendable, Equatable {
    case standard = 0, ingress, egress, sip, agent, connector, bridge

    static let names = ["STANDARD", "INGRESS", "EGRESS", "SIP", "AGENT", "CONNECTOR", "BRIDGE"]

    /// Whether this participant is a person in the session (joins and leaves decide recordings).
    public var isPerson: Bool { self == .standard || self == .sip }
}

/// A participant as LiveKit reports it (`ParticipantInfo`); `joined_at` is in seconds.
public struct ParticipantInfo: Sendable, Equatable {
    public var sid: String?
    public var identity: String
    public var name: String?
    public var kind: ParticipantKind
    public var metadata: String?
    public var attributes: [String: String]
    public var joinedAt: Int64?

    public init(
        sid: String? = nil, identity: String, name: String? = nil, kind: ParticipantKind = .standard,
        metadata: String? = nil, attributes: [String: String] = [:], joinedAt: Int64? = nil
    ) {
        self.sid = sid
        self.identity = identity
        self.name = name
        self.kind = kind
        self.metadata = metadata
        self.attributes = attributes
        self.joinedAt = joinedAt
    }

    public init?(_ json: ProtoJSON) {
        guard let identity = json.string("identity") else { return nil }
        self.identity = identity
        sid = json.string("sid")
        name = json.string("name").flatMap { $0.isEmpty ? nil : $0 }
        // A missing kind is STANDARD (zero values are omitted).
        kind = json.enumValue("kind", names: ParticipantKind.names).flatMap(ParticipantKind.init(rawValue:)) ?? .standard
        metadata = json.string("metadata").flatMap { $0.isEmpty ? nil : $0 }
        attributes = json.stringMap("attributes")
        joinedAt = json.int64("joined_at")
    }
}

/// A room as LiveKit reports it; `creation_time` is in seconds.
public struct RoomInfo: Sendable, Equatable {
    public var sid: String?
    public var name: String
    public var creationTime: Int64?
    public var metadata: String?
    public var numParticipants: Int64?

    public init(sid: String? = nil, name: String, creationTime: Int64? = nil, metadata: String? = nil, numParticipants: Int64? = nil) {
        self.sid = sid
        self.name = name
        self.creationTime = creationTime
        self.metadata = metadata
        self.numParticipants = numParticipants
    }

    public init?(_ json: ProtoJSON) {
        guard let name = json.string("name"), !name.isEmpty else { return nil }
        self.name = name
        sid = json.string("sid").flatMap { $0.isEmpty ? nil : $0 }
        creationTime = json.int64("creation_time")
        metadata = json.string("metadata").flatMap { $0.isEmpty ? nil : $0 }
        numParticipants = json.int64("num_participants")
    }
}
