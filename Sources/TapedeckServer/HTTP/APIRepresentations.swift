import Foundation
import TapedeckCore

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
