import Foundation
import TapedeckCore

/// A recording in the JSON API (snake_case, RFC 3339 times, explicit nulls).
struct RecordingRepresentation: Encodable, Sendable {
    var recording: Recording

    enum CodingKeys: String, CodingKey {
        case id, room, sessionKey = "session_key", provider, status, layout, audioOnly = "audio_only"
        case startedAt = "started_at", endedAt = "ended_at", durationMs = "duration_ms", sizeBytes = "size_bytes"
        case error, limitReached = "limit_reached", assets, createdAt = "created_at", updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recording.id.uuidString.lowercased(), forKey: .id)
        try c.encode(recording.roomName, forKey: .room)
        try c.encode(recording.sessionKey, forKey: .sessionKey)
        try c.encode(recording.provider, forKey: .provider)
        try c.encode(recording.status.rawValue, forKey: .status)
        try c.encode(recording.layout, forKey: .layout)
        try c.encode(recording.audioOnly, forKey: .audioOnly)
        try c.encode(recording.startedAt?.rfc3339, forKey: .startedAt)
        try c.encode(recording.endedAt?.rfc3339, forKey: .endedAt)
        try c.encode(recording.durationMs, forKey: .durationMs)
        try c.encode(recording.sizeBytes, forKey: .sizeBytes)
        try c.encode(recording.error, forKey: .error)
        try c.encode(recording.limitReached, forKey: .limitReached)
        try c.encode(recording.assets.map(AssetRepresentation.init), forKey: .assets)
        try c.encode(recording.createdAt.rfc3339, forKey: .createdAt)
        try c.encode(recording.updatedAt.rfc3339, forKey: .updatedAt)
    }
}

struct AssetRepresentation: Encodable, Sendable {
    var asset: Asset

    enum CodingKeys: String, CodingKey {
        case kind, key, contentType = "content_type", sizeBytes = "size_bytes", durationMs = "duration_ms"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(asset.kind.rawValue, forKey: .kind)
        try c.encode(asset.key, forKey: .key)
        try c.encode(asset.contentType, forKey: .contentType)
        try c.encode(asset.sizeBytes, forKey: .sizeBytes)
        try c.encode(asset.durationMs, forKey: .durationMs)
    }
}

/// An audit-log entry in the JSON API.
struct EventRepresentation: Encodable, Sendable {
    var event: AuditEvent

    enum CodingKeys: String, CodingKey {
        case id, recordingID = "recording_id", sessionID = "session_id", type, actor, data, at
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(event.id, forKey: .id)
        try c.encode(event.recordingID?.uuidString.lowercased(), forKey: .recordingID)
        try c.encode(event.sessionID?.uuidString.lowercased(), forKey: .sessionID)
        try c.encode(event.type, forKey: .type)
        try c.encode(event.actor, forKey: .actor)
        try c.encode(JSONValue.parse(event.dataJSON), forKey: .data)
        try c.encode(event.at.rfc3339, forKey: .at)
    }
}

/// A page of a listing: `{"items": [...], "next_cursor": "..." | null}`.
struct Page<Item: Encodable & Sendable>: Encodable, Sendable {
    var items: [Item]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case items, nextCursor = "next_cursor"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(items, forKey: .items)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}
