import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckCore
import TapedeckStore

extension PlaybackController {
    /// A track is read whole; past this many cues it is not one a person would read.
    static let maximumTrackCues = 100_000

    /// `GET /text-tracks/{id}/{kind}/{language}.vtt`: one cue track as WebVTT, from Tapedeck's own
    /// origin (so `<track>` needs no bucket CORS), with the same signed, expiring link as the
    /// playlist and the same share check on every use.
    @Sendable func textTrack(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let file = context.parameters.get("file") ?? ""
        guard let uuid = UUID(uuidString: id), let kind = CueKind(rawValue: context.parameters.get("kind") ?? ""),
            let dot = file.lastIndex(of: "."), let format = TextTrackFormat(rawValue: String(file[file.index(after: dot)...])),
            let language = LanguageTag(String(file[..<dot])), language.value == file[..<dot]
        else { throw APIError.notFound("text track") }
        let now = catalog.clock.now()
        guard
            keys.verifyTextTrack(
                recordingID: id.lowercased(), kind: kind, language: language.value, expires: request.query("expires"),
                share: request.query("share"), signature: request.query("sig"), now: now)
        else {
            throw APIError(.forbidden, code: "link_expired", message: "this text track link is invalid or has expired; ask for a new one")
        }
        try await grants.requireLiveShare(request.query("share"), recordingID: uuid, now: now)
        guard let recording = try await catalog.pool.recordings.find(id: uuid), recording.status == .ready else {
            throw APIError.notFound("text track")
        }
        var headers = HTTPFields()
        headers[.cacheControl] = "private, no-store"
        if format == .m3u8 {
            // HLS wants a subtitle media playlist around the cues; its link expires with this one.
            let vtt = keys.publicURL
                + keys.textTrackPath(
                    recordingID: recording.id, kind: kind, language: language.value, format: .vtt,
                    expires: Int64(request.query("expires") ?? "") ?? 0, share: request.query("share").flatMap(UUID.init(uuidString:)))
                + "&hls=1"
            headers[.contentType] = "application/vnd.apple.mpegurl"
            let text = SubtitlePlaylist.media(vttURI: vtt, durationMs: max(recording.durationMs ?? 0, 1))
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let cues = try await catalog.pool.cues.track(
            recordingID: recording.id, kind: kind, language: language.value, limit: Self.maximumTrackCues)
        if format == .json {
            headers[.contentType] = "application/json; charset=utf-8"
            var json = JSONWriter(capacity: 64 * 1024)
            TrackCues(cues: cues).write(to: &json)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
        }
        // For HLS, cue times are mapped onto the segments' first timestamp, as measured.
        let firstPTS = request.query("hls") == "1" ? Double(recording.hlsStartMs ?? 0) / 1000 : nil
        var writer = WebVTTWriter(firstPTSSeconds: firstPTS)
        for cue in cues { writer.append(cue) }
        headers[.contentType] = "text/vtt; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: writer.takeBytes())))
    }
}
