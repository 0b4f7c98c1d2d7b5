import Foundation
import TapedeckCore

/// A recording in the JSON API (snake_case, RFC 3339 times, explicit nulls).
package struct RecordingRepresentation: JSONRepresentable {
    package var recording: Recording

    package init(recording: Recording) { self.recording = recording }

    package func write(to json: inout JSONWriter) {
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
            json.member("media_started_at", r.mediaStartedAt?.rfc3339)
            json.member("cue_offset_ms", r.cueOffsetMs)
            json.member("paused", r.pausedAt != nil)
            json.member("paused_at", r.pausedAt?.rfc3339)
            json.key("pauses")
            json.array { json in
                for stretch in r.pauses {
                    json.object { json in
                        json.member("started_at", Date(millisecondsSince1970: stretch.startMs).rfc3339)
                        json.member("ended_at", stretch.endMs.map { Date(millisecondsSince1970: $0).rfc3339 })
                    }
                }
            }
            json.member("assets", r.assets.map(AssetRepresentation.init))
            json.member("created_at", r.createdAt.rfc3339)
            json.member("updated_at", r.updatedAt.rfc3339)
        }
    }
}

package struct AssetRepresentation: JSONRepresentable {
    package var asset: Asset

    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("kind", asset.kind.rawValue)
            json.member("key", asset.key)
            json.member("content_type", asset.contentType)
            json.member("size_bytes", asset.sizeBytes)
            json.member("duration_ms", asset.durationMs)
        }
    }
}
