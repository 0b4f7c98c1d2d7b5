import Foundation
import TapedeckCore

/// An API key and secret of a LiveKit deployment.
public struct LiveKitCredentials: Sendable, Equatable {
    public var apiKey: String
    public var apiSecret: String

    public init(apiKey: String, apiSecret: String) {
        self.apiKey = apiKey
        self.apiSecret = apiSecret
    }
}

/// The `video` grant of a LiveKit access token (camelCase keys, as LiveKit reads them).
public struct VideoGrant: Codable, Sendable, Equatable {
    public var roomRecord: Bool?
    public var roomList: Bool?
    public var roomAdmin: Bool?
    public var roomCreate: Bool?
    public var room: String?

    public init(
        roomRecord: Bool? = nil, roomList: Bool? = nil, roomAdmin: Bool? = nil, roomCreate: Bool? = nil,
        room: String? = nil
    ) {
        self.roomRecord = roomRecord
        self.roomList = roomList
        self.roomAdmin = roomAdmin
        self.roomCreate = roomCreate
        self.room = room
    }

    /// Every Egress call.
    public static let record = VideoGrant(roomRecord: true)
    /// `ListRooms`.
    public static let list = VideoGrant(roomList: true)
    /// `ListParticipants` and other calls on one room.
    public static func admin(room: String) -> VideoGrant { VideoGrant(roomAdmin: true, room: room) }
}

/// Short-lived server-API tokens: HS256, `iss` = API key, the grant under `video`.
public struct AccessTokenMinter: Sendable {
    public let credentials: LiveKitCredentials
    /// Lifetime of each token; calls are made at once, so a few minutes suffice.
    public var ttl: TimeInterval

    public init(credentials: LiveKitCredentials, ttl: TimeInterval = 600) {
        self.credentials = credentials
        self.ttl = ttl
    }

    struct Claims: Encodable {
        var iss: String
        var nbf: Int64
        var exp: Int64
        var iat: Int64
        var video: VideoGrant
    }

    public func token(_ grant: VideoGrant, now: Date) throws -> String {
        let seconds = Int64(now.timeIntervalSince1970)
        return try HS256JWT.sign(
            Claims(iss: credentials.apiKey, nbf: seconds - 1, exp: seconds + Int64(ttl), iat: seconds, video: grant),
            secret: Array(credentials.apiSecret.utf8))
    }
}
