import Foundation
import TapedeckCore
import TapedeckStore

/// The JSON body of an outbound event:
/// `{"id", "type", "created_at", "data": {"recording": {...}, "share": {...}}}`.
/// The recording is as the API shows it when the event is fanned out.
package struct WebhookEventBody: JSONRepresentable {
    package var eventID: UUID
    package var type: OutboundEventType
    package var at: Date
    package var recording: Recording?
    package var share: Share?

    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("id", eventID.uuidString.lowercased())
            json.member("type", type.rawValue)
            json.member("created_at", at.rfc3339)
            json.key("data")
            json.object { json in
                if let recording { json.member("recording", RecordingRepresentation(recording: recording)) }
                if let share { json.member("share", ShareRepresentation(share: share)) }
            }
        }
    }

    package var text: String {
        var json = JSONWriter()
        write(to: &json)
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
