import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckCore
import TapedeckStore

extension PlaybackController {
    /// Past this many cues a track is not one a person would read: the rest is left out.
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
        let pages = TrackPages(catalog: catalog, recordingID: recording.id, kind: kind, language: language.value)
        // The first page before the head, so that a failing read is an error answer, not a cut body.
        let first = try await pages.read(after: nil, taken: 0)
        if format == .json {
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: pages.stream(from: first, into: TrackCues.Stream()))
        }
        // For HLS, cue times are mapped onto the segments' first timestamp, as measured.
        let firstPTS = request.query("hls") == "1" ? Double(recording.hlsStartMs ?? 0) / 1000 : nil
        headers[.contentType] = "text/vtt; charset=utf-8"
        return Response(status: .ok, headers: headers, body: pages.stream(from: first, into: WebVTTWriter(firstPTSSeconds: firstPTS)))
    }
}

/// What a track is written with, a page of cues at a time.
protocol TrackEncoder: Sendable {
    /// The bytes for `cues` (and anything the document starts with, on the first call).
    mutating func append(_ cues: [Cue]) -> [UInt8]
    /// The bytes that end the document.
    mutating func finish() -> [UInt8]
}

extension WebVTTWriter: TrackEncoder {
    mutating func append(_ cues: [Cue]) -> [UInt8] {
        for cue in cues { append(cue) }
        return takeBytes()
    }

    mutating func finish() -> [UInt8] { takeBytes() }
}

/// A track's cues read a page at a time (keyset by start and row) and written as they are read:
/// the server holds one page, not the whole track (100,000 cues took tens of MiB whole).
struct TrackPages: Sendable {
    static let pageSize = 1_000

    let catalog: Catalog
    let recordingID: UUID
    let kind: CueKind
    let language: String

    /// The page after `cursor`, within what is left of ``PlaybackController/maximumTrackCues`` once
    /// `taken` cues were read.
    func read(after cursor: CueCursor?, taken: Int) async throws -> TrackPage {
        try await catalog.pool.cues.trackPage(
            recordingID: recordingID, kind: kind, language: language, after: cursor,
            limit: min(Self.pageSize, PlaybackController.maximumTrackCues - taken))
    }

    /// A body writing `first` and each page after it through `encoder`. Each page is its own
    /// query: a cue changed meanwhile is seen as it is when its page is read, and none is read twice.
    func stream<Encoder: TrackEncoder>(from first: TrackPage, into encoder: Encoder) -> ResponseBody {
        ResponseBody { writer in
            var encoder = encoder
            var page = first
            var taken = 0
            while true {
                taken += page.cues.count
                let bytes = encoder.append(page.cues)
                if !bytes.isEmpty { try await writer.write(ByteBuffer(bytes: bytes)) }
                guard let next = page.next, taken < PlaybackController.maximumTrackCues else { break }
                page = try await read(after: next, taken: taken)
            }
            try await writer.write(ByteBuffer(bytes: encoder.finish()))
            try await writer.finish(nil)
        }
    }
}
