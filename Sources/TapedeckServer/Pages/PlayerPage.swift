import Foundation
import Hummingbird
import TapedeckCore
import TapedeckStore

/// The player page of a recording and the words pages share (dates, durations, not found), for
/// the viewer's and the admin's pages alike.
struct PlayerPage: Sendable {
    let catalog: Catalog
    let renderer: PageRenderer

    /// `renewal`: where the page asks for a fresh grant before this one expires (same origin,
    /// with the credentials the page was opened with).
    func render(_ recording: Recording, grant: PlaybackGrants.Grant, renewal: String, extra: [String: Any] = [:])
        async throws -> Response
    {
        var participants: [String] = []
        if let sessionID = recording.sessionID {
            participants = try await catalog.pool.participants.list(sessionID: sessionID).map { $0.name ?? $0.identity }
        }
        var values: [String: Any] = [
            "title": recording.title ?? recording.roomName, "room": recording.roomName,
            "date": Self.readableDate(recording.startedAt ?? recording.createdAt),
            "captions": grant.captions.map { ["label": $0.label, "url": $0.url] },
            // The page's scripts read the grant from an attribute: escaped like every value, and
            // read back exactly by the browser (a script element's text is not unescaped).
            "grant": Self.json(grant), "renewURL": renewal,
        ]
        // Captions and subtitles also go to the video itself; chapters and metadata only to the panel (if at all).
        let timed = grant.textTracks.filter { [.captions, .subtitles].contains($0.track.kind) }
        values["textTracks"] = timed.map {
            ["kind": $0.track.kind.rawValue, "language": $0.track.language, "label": $0.label, "url": $0.url]
        }
        if grant.textTracks.contains(where: { $0.track.kind != .metadata }) {
            values["hasTranscript"] = true
            values["wide"] = true
        }
        var seen = Set<String>()
        let unique = participants.filter { seen.insert($0).inserted }
        if !unique.isEmpty { values["participants"] = unique.joined(separator: ", ") }
        if let ms = recording.durationMs {
            values["duration"] = Self.readableDuration(ms)
            values["durationSeconds"] = String(format: "%.3f", Double(ms) / 1000)
        }
        if let url = grant.hlsURL { values["hlsURL"] = url }
        if let url = grant.mp4URL { values["mp4URL"] = url }
        if let url = grant.downloadURL { values["downloadURL"] = url }
        values["files"] = grant.files.map { file in
            ["kind": file.kind.rawValue, "url": file.url, "label": file.kind == .chat ? "Download chat" : "Download summary"]
        }
        if let url = grant.thumbnailURL { values["thumbnailURL"] = url }
        if let url = grant.storyboardURL { values["storyboardURL"] = url }
        values.merge(extra) { _, new in new }
        return renderer.page("player", values)
    }

    /// Where `/recordings/{id}` renews its grant: the viewer's and the admin's page alike.
    static func renewalPath(_ recording: Recording) -> String {
        "/recordings/\(recording.id.uuidString.lowercased())/grant"
    }

    static func json(_ value: some JSONRepresentable) -> String {
        var json = JSONWriter()
        value.write(to: &json)
        return String(decoding: json.bytes, as: UTF8.self)
    }

    func notFound() -> Response {
        renderer.message(title: "Not found", message: "There is no recording here.", status: .notFound)
    }

    static func readableDate(_ date: Date) -> String {
        let text = date.rfc3339
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    static func readableDuration(_ ms: Int64) -> String {
        let seconds = ms / 1000
        return seconds >= 3600
            ? String(format: "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            : String(format: "%d:%02d", seconds / 60, seconds % 60)
    }
}
