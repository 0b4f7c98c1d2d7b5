import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `GET /v1/recordings/{id}/playback`: short-lived URLs for a recording's media, each grant
/// written to the audit log; and `GET /playback/{id}/{asset}.m3u8`, the HLS playlist served by
/// Tapedeck with every segment individually signed (the store stays private).
struct PlaybackController {
    let grants: PlaybackGrants
    var catalog: Catalog { grants.catalog }
    var store: any ObjectStore { grants.store }
    var keys: PlaybackKeys { grants.keys }

    /// Playlists are small; a larger object is not one Tapedeck wrote.
    static let maximumPlaylistBytes = 8 << 20

    func register(api: RouterGroup<TapedeckRequestContext>, public router: Router<TapedeckRequestContext>) {
        api.get("/recordings/{id}/playback", use: grant)
        router.get("/playback/{id}/{playlist}", use: playlist)
        router.get("/download/{id}/{asset}", use: download)
        router.get("/storyboard/{id}/{index}", use: storyboard)
        router.get("/share-object/{id}/{use}", use: sharedObject)
        router.get("/text-tracks/{id}/{kind}/{file}", use: textTrack)
    }

    @Sendable func grant(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<PlaybackGrants.Grant> {
        let id = try context.uuidParameter("id")
        let (recording, role) = try await RecordingAccess.viewable(id, by: context.principal, catalog: catalog)
        try PlaybackGrants.requirePlayable(recording)
        let grant = try await grants.makeGrant(
            recording, allowDownload: true, grantee: context.principal?.actor ?? "unknown", chat: PlaybackGrants.mayReadChat(role))
        try await grants.audit(
            recording, type: "playback.granted", actor: context.principal?.actor ?? "unknown",
            data: ["role": role.rawValue, "expires_at": grant.expiresAt.rfc3339], request: request, context: context)
        return JSONResponse(grant)
    }

    /// `GET /download/{id}/{asset}`: records the download, then sends the browser to the store's
    /// signed URL for the file (the MP4 or audio, or the provider's chat or summary) as an
    /// attachment.
    @Sendable func download(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let grantee = request.query("by") ?? ""
        guard let reference = AssetReference(Substring(context.parameters.get("asset") ?? "")), let uuid = UUID(uuidString: id)
        else { throw APIError.notFound("download") }
        let now = catalog.clock.now()
        guard
            keys.verifyDownload(
                recordingID: id.lowercased(), asset: reference, grantee: grantee, expires: request.query("expires"),
                share: request.query("share"), signature: request.query("sig"), now: now)
        else {
            throw APIError(.forbidden, code: "link_expired", message: "this download link is invalid or has expired; ask for a new one")
        }
        let share = try await grants.requireLiveShare(request.query("share"), recordingID: uuid, now: now)
        guard let recording = try await catalog.pool.recordings.find(id: uuid), recording.status == .ready,
            let asset = reference.resolve(in: recording.assets), [.mp4, .audio, .chat, .summary].contains(asset.kind)
        else { throw APIError.notFound("download") }
        if asset.kind == .chat { try await grants.requireChatReader(recording, grantee: grantee, share: share) }
        let url = try await grants.signedURL(
            try ObjectKey(asset.key), of: uuid, expires: min(now.addingTimeInterval(300), share?.expiresAt ?? .distantFuture), share: share?.id,
            direct: true,
            overrides: ResponseOverrides(contentDisposition: PlaybackGrants.attachment(recording, key: asset.key, kind: asset.kind)))
        try await grants.audit(
            recording, type: "recording.downloaded", actor: grantee, data: ["key": asset.key, "kind": asset.kind.rawValue],
            request: request, context: context)
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        return Response(status: .found, headers: headers)
    }

    /// `GET /playback/{id}/{asset}.m3u8`: the HLS playlist with every segment signed. Only objects
    /// under the recording's own prefix are signed.
    static let playlistIndex = SignedIndex(
        parameter: "playlist", fileExtension: ".m3u8", kind: .hls, notFoundName: "playlist", linkName: "playback",
        contentType: "application/vnd.apple.mpegurl",
        verify: PlaybackKeys.verifyPlaylist,
        sign: { text, playlistKey, prefix in
            let parsed: HLSPlaylist
            do {
                parsed = try HLSPlaylist.parse(text)
            } catch {
                throw APIError(.badGateway, code: "bad_playlist", message: "the stored playlist is not an HLS playlist")
            }
            let objectKeys = PlaylistSigning.objectKeys(of: parsed, playlistKey: playlistKey, within: prefix)
            return (objectKeys, { PlaylistSigning.confined(parsed, playlistKey: playlistKey, signedURLs: $0) })
        })

    /// With cue tracks, the playlist a player is given is multivariant with a subtitle rendition
    /// per track (native HLS players, Safari and AirPlay show them); a recorder's media playlist
    /// is then wrapped, and its own link (`variant=media`) serves it as stored.
    @Sendable func playlist(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        guard request.query("variant") != "media" else { return try await serve(Self.playlistIndex, request, context: context) }
        return try await serve(Self.playlistIndex, request, context: context) { signed, recording, asset in
            let expires = Int64(request.query("expires") ?? "") ?? 0
            let share = request.query("share").flatMap(UUID.init(uuidString:))
            let tracks = try await catalog.pool.cues.tracks(recordingID: recording.id).filter { [.captions, .subtitles].contains($0.kind) }
            guard !tracks.isEmpty else { return signed }
            let renditions = tracks.map { track in
                SubtitlePlaylist.Track(
                    name: LanguageTag(track.language)?.label ?? track.language, language: track.language,
                    uri: keys.publicURL
                        + keys.textTrackPath(
                            recordingID: recording.id, kind: track.kind, language: track.language, format: .m3u8, expires: expires,
                            share: share))
            }
            let mediaURI = keys.publicURL + keys.playlistPath(recordingID: recording.id, asset: AssetReference(asset), expires: expires, share: share)
                + "&variant=media"
            let segmentBytes = recording.sizeBytes ?? asset.sizeBytes ?? 0
            do {
                return try SubtitlePlaylist.multivariant(signed, playlistURI: mediaURI, totalBytes: segmentBytes, tracks: renditions)
            } catch {
                return signed
            }
        }
    }
}
