import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `GET /v1/recordings/{id}/playback`: short-lived URLs for a recording's media, each grant
/// written to the audit log; and `GET /playback/{id}/{n}.m3u8`, the HLS playlist served by
/// Tapedeck with every segment individually signed (the store stays private).
struct PlaybackController {
    let catalog: Catalog
    let store: any ObjectStore
    let keys: PlaybackKeys
    /// Signs `/media` URLs when storage is local: then URLs granted through a share name it, and
    /// `/media` refuses them once it is revoked.
    var mediaSigner: MediaURLSigner? = nil
    /// Shares revoked before they expired (see ``RevokedShares``).
    var revokedShares: RevokedShares? = nil

    /// Playlists are small; a larger object is not one Tapedeck wrote.
    static let maximumPlaylistBytes = 8 << 20

    func register(api: RouterGroup<TapedeckRequestContext>, public router: Router<TapedeckRequestContext>) {
        api.get("/recordings/{id}/playback", use: grant)
        router.get("/playback/{id}/{playlist}", use: playlist)
        router.get("/download/{id}/{asset}", use: download)
        router.get("/storyboard/{id}/{index}", use: storyboard)
        router.get("/share-object/{id}/{use}", use: sharedObject)
    }

    struct Grant: JSONRepresentable {
        var recordingID: UUID
        var hlsURL: String?
        var mp4URL: String?
        var downloadURL: String?
        var thumbnailURL: String?
        /// WebVTT index of hover-preview frames, served by Tapedeck with its sprite signed.
        var storyboardURL: String?
        var captions: [(label: String, url: String)]
        var expiresAt: Date

        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("recording_id", recordingID.uuidString.lowercased())
                json.member("hls_url", hlsURL)
                json.member("mp4_url", mp4URL)
                json.member("download_url", downloadURL)
                json.member("thumbnail_url", thumbnailURL)
                json.member("storyboard_url", storyboardURL)
                json.key("captions")
                json.array { json in
                    for caption in captions {
                        json.object { json in
                            json.member("label", caption.label)
                            json.member("url", caption.url)
                        }
                    }
                }
                json.member("expires_at", expiresAt.rfc3339)
            }
        }
    }

    @Sendable func grant(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Grant> {
        let id = try context.uuidParameter("id")
        let (recording, role) = try await RecordingAccess.viewable(id, by: context.principal, catalog: catalog)
        try Self.requirePlayable(recording)
        let grant = try await makeGrant(recording, allowDownload: true, grantee: context.principal?.actor ?? "unknown")
        try await audit(
            recording, type: "playback.granted", actor: context.principal?.actor ?? "unknown",
            data: ["role": role.rawValue, "expires_at": grant.expiresAt.rfc3339], request: request, context: context)
        return JSONResponse(grant)
    }

    static func requirePlayable(_ recording: Recording) throws {
        switch recording.status {
        case .ready: break
        case .failed, .aborted:
            throw APIError.conflict("recording_failed", "the recording \(recording.status.rawValue): \(recording.error ?? "no reason was given")")
        case .deleted:
            throw APIError.notFound("recording")
        default:
            throw APIError.conflict("not_ready", "the recording is \(recording.status.rawValue); playback is possible once it is ready")
        }
    }

    /// Signed URLs for a ready recording's media, valid for the configured time.
    ///
    /// Through a share, nothing outlives the share: every URL expires by the share's expiry, and
    /// the Tapedeck-served links (playlist, storyboard, download) name the share, so each use
    /// checks that it is still valid.
    func makeGrant(_ recording: Recording, allowDownload: Bool, grantee: String = "unknown", share: Share? = nil)
        async throws -> Grant
    {
        let id = recording.id
        let now = catalog.clock.now()
        var end = now.timeIntervalSince1970 + keys.ttl
        if let share { end = min(end, share.expiresAt.timeIntervalSince1970) }
        let expiresAt = Date(timeIntervalSince1970: end.rounded(.down))
        let shareID = share?.id
        var grant = Grant(recordingID: id, captions: [], expiresAt: expiresAt)
        // Without downloads, an MP4 URL (a whole file anyone can save) is given only when there is
        // no HLS to play instead.
        let streamOnly = !allowDownload && recording.assets.contains { $0.kind == .hls }
        for (index, asset) in recording.assets.enumerated() {
            let key = try ObjectKey(asset.key)
            switch asset.kind {
            case .hls where grant.hlsURL == nil:
                grant.hlsURL = keys.publicURL
                    + keys.playlistPath(
                        recordingID: id, assetIndex: index, expires: Int64(expiresAt.timeIntervalSince1970), share: shareID)
            case .mp4 where grant.mp4URL == nil && !streamOnly, .audio where grant.mp4URL == nil && !streamOnly:
                grant.mp4URL = try await signedURL(key, of: id, expires: expiresAt, share: shareID, use: .file)
                if allowDownload {
                    grant.downloadURL = keys.publicURL
                        + keys.downloadPath(
                            recordingID: id, assetIndex: index, grantee: grantee, expires: Int64(expiresAt.timeIntervalSince1970),
                            share: shareID)
                }
            case .storyboard where grant.storyboardURL == nil:
                grant.storyboardURL = keys.publicURL
                    + keys.storyboardPath(
                        recordingID: id, assetIndex: index, expires: Int64(expiresAt.timeIntervalSince1970), share: shareID)
            case .thumbnail where grant.thumbnailURL == nil:
                grant.thumbnailURL = try await signedURL(key, of: id, expires: expiresAt, share: shareID)
            case .captions:
                let label = (asset.key as NSString).lastPathComponent
                grant.captions.append((label, try await signedURL(key, of: id, expires: expiresAt, share: shareID)))
            default:
                break
            }
        }
        guard grant.hlsURL != nil || grant.mp4URL != nil else {
            throw APIError.conflict("no_playable_asset", "the recording has no playable file")
        }
        return grant
    }

    /// A signed URL of an object of `recording`, bound to the share it is granted through: a
    /// `/media` URL naming the share on local storage, a ``sharedObject`` link on the others
    /// (`use` says how long the bucket URL behind it lives). `direct` goes straight to the store:
    /// only for a URL made right after its share was checked and followed at once (a download).
    func signedURL(
        _ key: ObjectKey, of recording: UUID, expires: Date, share: UUID?, use: SharedObjectUse = .segment, direct: Bool = false,
        overrides: ResponseOverrides = .init()
    ) async throws -> String {
        if let share, let mediaSigner {
            return mediaSigner.signedURL(for: key, expires: expires, overrides: overrides, share: share.uuidString.lowercased())
        }
        if let share, !direct {
            return keys.publicURL
                + keys.sharedObjectPath(
                    recordingID: recording, key: key.rawValue, use: use, expires: Int64(expires.timeIntervalSince1970), share: share)
        }
        return try await store.signedURL(key, expiresIn: max(1, expires.timeIntervalSince(catalog.clock.now())), overrides: overrides)
    }

    /// Signed URLs of many objects of `recording` (a playlist's segments, a storyboard's sprites),
    /// bound to the share like ``signedURL``.
    func signedURLs(_ objectKeys: [ObjectKey], of recording: UUID, expires: Date, share: UUID?) async throws -> [String] {
        if let share, let mediaSigner {
            return objectKeys.map { mediaSigner.signedURL(for: $0, expires: expires, share: share.uuidString.lowercased()) }
        }
        if let share {
            let expiry = Int64(expires.timeIntervalSince1970)
            return objectKeys.map {
                keys.publicURL
                    + keys.sharedObjectPath(recordingID: recording, key: $0.rawValue, use: .segment, expires: expiry, share: share)
            }
        }
        return try await store.signedURLs(objectKeys, expiresIn: max(1, expires.timeIntervalSince(catalog.clock.now())))
    }

    /// A link granted through a share works only while the share does: revoked, expired or gone
    /// is 410, as for the share link itself.
    @discardableResult
    func requireLiveShare(_ shareParameter: String?, recordingID: UUID, now: Date) async throws -> Share? {
        guard let shareParameter else { return nil }
        guard let id = UUID(uuidString: shareParameter), let share = try await catalog.pool.shares.find(id: id),
            share.recordingID == recordingID, share.isUsable(at: now)
        else { throw APIError(.gone, code: "share_expired", message: "this share link has expired or was revoked") }
        return share
    }

    /// An access to the audit log: who, which recording, from where, with what.
    func audit(
        _ recording: Recording, type: String, actor: String, data: [String: String], request: Request,
        context: TapedeckRequestContext
    ) async throws {
        var data = data
        data["ip"] = clientIP(request, context: context)
        data["user_agent"] = String((request.headers[.userAgent] ?? "").prefix(300))
        try await catalog.pool.events.append(
            NewAuditEvent(recordingID: recording.id, sessionID: recording.sessionID, type: type, actor: actor, data: data))
    }

    /// `attachment; filename="<room> <date>.mp4"`, with an RFC 5987 form for non-ASCII names.
    static func attachment(_ recording: Recording, key: String) -> String {
        let date = (recording.startedAt ?? recording.createdAt).rfc3339.prefix(10)
        let ext = (key as NSString).pathExtension.isEmpty ? "mp4" : (key as NSString).pathExtension
        let name = "\(recording.roomName) \(date).\(ext)"
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }

    func clientIP(_ request: Request, context: TapedeckRequestContext) -> String {
        keys.trustedProxies.clientAddress(
            peer: context.remoteAddress?.ipAddress ?? "", forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!])
    }

    /// `GET /download/{id}/{n}`: records the download, then sends the browser to the store's
    /// signed URL for the file as an attachment.
    @Sendable func download(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let grantee = request.query("by") ?? ""
        guard let index = Int(context.parameters.get("asset") ?? ""), index >= 0, index < 1000, let uuid = UUID(uuidString: id)
        else { throw APIError.notFound("download") }
        let now = catalog.clock.now()
        guard
            keys.verifyDownload(
                recordingID: id.lowercased(), assetIndex: index, grantee: grantee, expires: request.query("expires"),
                share: request.query("share"), signature: request.query("sig"), now: now)
        else {
            throw APIError(.forbidden, code: "link_expired", message: "this download link is invalid or has expired; ask for a new one")
        }
        let share = try await requireLiveShare(request.query("share"), recordingID: uuid, now: now)
        guard let recording = try await catalog.pool.recordings.find(id: uuid), recording.status == .ready,
            index < recording.assets.count, [.mp4, .audio].contains(recording.assets[index].kind)
        else { throw APIError.notFound("download") }
        let asset = recording.assets[index]
        let url = try await signedURL(
            try ObjectKey(asset.key), of: uuid, expires: min(now.addingTimeInterval(300), share?.expiresAt ?? .distantFuture), share: share?.id,
            direct: true,
            overrides: ResponseOverrides(contentDisposition: Self.attachment(recording, key: asset.key)))
        try await audit(
            recording, type: "recording.downloaded", actor: grantee, data: ["key": asset.key], request: request, context: context)
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        return Response(status: .found, headers: headers)
    }

    @Sendable func playlist(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let name = context.parameters.get("playlist") ?? ""
        guard name.hasSuffix(".m3u8"), let index = Int(name.dropLast(5)), index >= 0, index < 1000,
            let uuid = UUID(uuidString: id)
        else { throw APIError.notFound("playlist") }
        let now = catalog.clock.now()
        guard
            keys.verifyPlaylist(
                recordingID: id.lowercased(), assetIndex: index, expires: request.query("expires"), share: request.query("share"),
                signature: request.query("sig"), now: now)
        else {
            throw APIError(.forbidden, code: "link_expired", message: "this playback link is invalid or has expired; ask for a new one")
        }
        try await requireLiveShare(request.query("share"), recordingID: uuid, now: now)
        guard let recording = try await catalog.pool.recordings.find(id: uuid), recording.status == .ready,
            index < recording.assets.count, recording.assets[index].kind == .hls
        else { throw APIError.notFound("playlist") }
        let playlistKey = recording.assets[index].key
        let download = try await store.get(try ObjectKey(playlistKey))
        let text = String(buffer: try await download.body.collect(upTo: Self.maximumPlaylistBytes))
        let parsed: HLSPlaylist
        do {
            parsed = try HLSPlaylist.parse(text)
        } catch {
            throw APIError(.badGateway, code: "bad_playlist", message: "the stored playlist is not an HLS playlist")
        }
        // Segment URLs expire with the link that led here.
        let expires = Double(request.query("expires") ?? "") ?? now.timeIntervalSince1970
        let lifetime = max(1, expires - now.timeIntervalSince1970)
        let objectKeys = PlaylistSigning.objectKeys(of: parsed, playlistKey: playlistKey, within: recording.keyPrefix)
        let urls = try await signedURLs(
            try objectKeys.map(ObjectKey.init), of: uuid, expires: now.addingTimeInterval(lifetime), share: request.query("share").flatMap { UUID(uuidString: $0) })
        let signed = Dictionary(uniqueKeysWithValues: zip(objectKeys, urls))
        let body = PlaylistSigning.confined(parsed, playlistKey: playlistKey, signedURLs: signed)
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.apple.mpegurl"
        headers[.cacheControl] = "private, no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
