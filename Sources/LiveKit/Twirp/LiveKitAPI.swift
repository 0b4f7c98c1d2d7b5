import AsyncHTTPClient
import Foundation

/// The LiveKit server calls Tapedeck makes: Egress and RoomService.
public protocol LiveKitAPI: Sendable {
    func startRoomCompositeEgress(_ request: RoomCompositeEgressRequest) async throws -> EgressInfo
    func stopEgress(id: String) async throws -> EgressInfo
    func listEgress(roomName: String?, egressID: String?, activeOnly: Bool) async throws -> [EgressInfo]
    func updateLayout(egressID: String, layout: String) async throws -> EgressInfo
    func listRooms(names: [String]?) async throws -> [RoomInfo]
    func listParticipants(room: String) async throws -> [ParticipantInfo]
}

/// ``LiveKitAPI`` over Twirp JSON.
public struct LiveKitTwirpAPI: LiveKitAPI {
    public var client: TwirpClient

    public init(client: TwirpClient) {
        self.client = client
    }

    public func startRoomCompositeEgress(_ request: RoomCompositeEgressRequest) async throws -> EgressInfo {
        try Self.egress(try await client.call(service: "Egress", method: "StartRoomCompositeEgress", request: request, grant: .record))
    }

    public func stopEgress(id: String) async throws -> EgressInfo {
        try Self.egress(
            try await client.call(service: "Egress", method: "StopEgress", request: StopEgressRequest(egressID: id), grant: .record))
    }

    public func listEgress(roomName: String?, egressID: String?, activeOnly: Bool) async throws -> [EgressInfo] {
        let json = try await client.call(
            service: "Egress", method: "ListEgress",
            request: ListEgressRequest(roomName: roomName, egressID: egressID, active: activeOnly ? true : nil),
            grant: .record)
        return json.objects("items").compactMap(EgressInfo.init)
    }

    public func updateLayout(egressID: String, layout: String) async throws -> EgressInfo {
        try Self.egress(
            try await client.call(
                service: "Egress", method: "UpdateLayout", request: UpdateLayoutRequest(egressID: egressID, layout: layout),
                grant: .record))
    }

    public func listRooms(names: [String]?) async throws -> [RoomInfo] {
        let json = try await client.call(
            service: "RoomService", method: "ListRooms", request: ListRoomsRequest(names: names), grant: .list)
        return json.objects("rooms").compactMap(RoomInfo.init)
    }

    public func listParticipants(room: String) async throws -> [ParticipantInfo] {
        let json = try await client.call(
            service: "RoomService", method: "ListParticipants", request: ListParticipantsRequest(room: room),
            grant: .admin(room: room))
        return json.objects("participants").compactMap(ParticipantInfo.init)
    }

    static func egress(_ json: ProtoJSON) throws -> EgressInfo {
        guard let info = EgressInfo(json) else {
            throw TwirpError(code: "malformed", message: "response has no egress_id", httpStatus: 200)
        }
        return info
    }
}
