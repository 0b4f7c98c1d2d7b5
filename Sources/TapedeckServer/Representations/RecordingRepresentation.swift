import Foundation
import TapedeckCore

/// A recording in the JSON API (snake_case, RFC 3339 times, explicit nulls).
struct RecordingRepresentation: JSONRepresentable {
    var recording: Recording

    func write(to json: inout JSONWriter) {
        let r = recording
        json.object { json in
            json.member("id", r.id.uuidString.lowercased())
            json.member("room", r.roomName)
            json.member("session_key", r.sessionKey)
            json.member("provider", r.provider)
            json.member("title", r.title)
            json.member("status", r.status.rawValue)
            json.member("layout", r.layout)
            json.member("audio_only", r.audioOnly)
            json.member("started_at", r.startedAt?.rfc3339)
            json.member("ended_at", r.endedAt?.rfc3339)
            json.member("duration_ms", r.durationMs)
            json.member("size_bytes", r.sizeBytes)
            json.member("error", r.error)
            json.member("limit_reached", r.limitReached)
            json.member("on_hold", r.onHold)
            json.member("assets", r.assets.map(AssetRepresentation.init))
            json.member("created_at", r.createdAt.rfc3339)
            json.member("updated_at", r.updatedAt.rfc3339)
        }
    }
}

struct AssetRepresentation: JSONRepresentable {
    var asset: Asset

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("kind", asset.kind.rawValue)
            json.member("key", asset.key)
            json.member("content_type", asset.contentType)
            json.member("size_bytes", asset.sizeBytes)
            json.member("duration_ms", asset.durationMs)
        }
    }
}

/// An audit-log entry in the JSON API.
struct EventRepresentation: JSONRepresentable {
    var event: AuditEvent

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("id", event.id)
            json.member("recording_id", event.recordingID?.uuidString.lowercased())
            json.member("session_id", event.sessionID?.uuidString.lowercased())
            json.member("type", event.type)
            json.member("actor", event.actor)
            json.member("data", JSONValue.parse(event.dataJSON))
            json.member("at", event.at.rfc3339)
        }
    }
}

/// A page of a listing: `{"items": [...], "next_cursor": "..." | null}`.
struct Page<Item: JSONRepresentable>: JSONRepresentable {
    var items: [Item]
    var nextCursor: String?

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("items", items)
            json.member("next_cursor", nextCursor)
        }
    }
}
