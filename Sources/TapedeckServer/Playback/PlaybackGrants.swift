import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TapedeckRecording
/// The playback grants of a recording: short-lived URLs for its media, bound to the share they
/// come through, and the audit of each access. Used by the API, the share links and the pages.
struct PlaybackGrants: Sendable {
    let catalog: Catalog
    let store: any ObjectStore
    let keys: PlaybackKeys
    /// Signs `/media` URLs when storage is local: then URLs granted through a share name it, and
    /// `/media` refuses them once it is revoked.
    var mediaSigner: MediaURLSigner? = nil
    /// Shares revoked before they expired (see ``RevokedShares``).
    var revokedShares: RevokedShares? = nil

    struct Grant: JSONRepresentable {
        var recordingID: UUID
        var hlsURL: String?
        var mp4URL: String?
        var downloadURL: String?
        var thumbnailURL: String?
        /// WebVTT index of hover-preview frames, served by Tapedeck with its sprite signed.
        var storyboardURL: String?
        var captions: [(label: String, url: String)]
        /// The recording's cue tracks (transcripts, translations), served by Tapedeck.
        var textTracks: [TextTrackRepresentation] = []
        /// The provider's files beside the media (100ms' chat and summary), each through the
        /// audited download route.
        var files: [(kind: AssetKind, url: String, sizeBytes: Int64?)] = []
        var expiresAt: Date
        /// Seconds from the grant to its expiry: a page renews by this, not by comparing
        /// `expiresAt` with a clock of its own that may be wrong.
        var expiresIn: Int = 0

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
                json.member("text_tracks", textTracks)
                json.key("files")
                json.array { json in
                    for file in files {
                        json.object { json in
                            json.member("kind", file.kind.rawValue)
                            json.member("url", file.url)
                            json.member("size_bytes", file.sizeBytes)
                        }
                    }
                }
                json.member("expires_at", expiresAt.rfc3339)
                json.member("expires_in", expiresIn)
            }
        }
    }

    /// When URLs granted now expire: the configured time, and never after the share.
    func expiry(share: Share?) -> Date {
        var end = catalog.clock.now().timeIntervalSince1970 + keys.ttl
        if let share { end = min(end, share.expiresAt.timeIntervalSince1970) }
        return Date(timeIntervalSince1970: end.rounded(.down))
    }

    /// The recording's cue tracks with signed links to their WebVTT, bound to the share.
    func textTracks(_ recording: Recording, expires: Date, share: UUID?) async throws -> [TextTrackRepresentation] {
        try await catalog.pool.cues.tracks(recordingID: recording.id).map { track in
            func link(_ format: TextTrackFormat) -> String {
                keys.publicURL
                    + keys.textTrackPath(
                        recordingID: recording.id, kind: track.kind, language: track.language, format: format,
                        expires: Int64(expires.timeIntervalSince1970), share: share)
            }
            return TextTrackRepresentation(track: track, url: link(.vtt), cuesURL: link(.json))
        }
    }

    /// Who may read 100ms' chat export: admin keys and the session's hosts. 100ms records the
    /// messages sent to the whole room and those sent to a role only (its `Roles` column; direct
    /// messages are not recorded), so the file can hold what some watchers were never meant to
    /// see: participants, organization members and share holders do not get it.
    static func mayReadChat(_ role: RecordingAccess.Role) -> Bool { role == .admin || role == .host }

    /// `/download` checks it again for a chat: the link's grantee (signed into the link) must
    /// still be an admin key or a host of the session, and the link not come through a share.
    func requireChatReader(_ recording: Recording, grantee: String, share: Share?) async throws {
        let refused = APIError(
            .forbidden, code: "chat_not_permitted",
            message: "the chat of a recording may hold messages sent to some roles only: only admins and the session's hosts may read it")
        guard share == nil else { throw refused }
        if grantee.hasPrefix("api_key:") { return }
        guard grantee.hasPrefix("viewer:"), let sessionID = recording.sessionID,
            try await catalog.pool.participants.role(identity: String(grantee.dropFirst("viewer:".count)), sessionID: sessionID) == "host"
        else { throw refused }
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
    ///
    /// `chat`: whether the grantee may read 100ms' chat export (see ``mayReadChat(_:)``); never
    /// through a share.
    func makeGrant(_ recording: Recording, allowDownload: Bool, grantee: String = "unknown", share: Share? = nil, chat: Bool = false)
        async throws -> Grant
    {
        let id = recording.id
        let expiresAt = expiry(share: share)
        let shareID = share?.id
        var grant = Grant(
            recordingID: id, captions: [], expiresAt: expiresAt,
            expiresIn: max(0, Int(expiresAt.timeIntervalSince(catalog.clock.now()))))
        grant.textTracks = try await textTracks(recording, expires: expiresAt, share: shareID)
        // Without downloads, an MP4 URL (a whole file anyone can save) is given only when there is
        // no HLS to play instead.
        let streamOnly = !allowDownload && recording.assets.contains { $0.kind == .hls }
        for asset in recording.assets {
            let key = try ObjectKey(asset.key)
            switch asset.kind {
            case .hls where grant.hlsURL == nil:
                grant.hlsURL = keys.publicURL
                    + keys.playlistPath(
                        recordingID: id, asset: AssetReference(asset), expires: Int64(expiresAt.timeIntervalSince1970), share: shareID)
            case .mp4 where grant.mp4URL == nil && !streamOnly, .audio where grant.mp4URL == nil && !streamOnly:
                grant.mp4URL = try await signedURL(key, of: id, expires: expiresAt, share: shareID, use: .file)
                if allowDownload {
                    grant.downloadURL = keys.publicURL
                        + keys.downloadPath(
                            recordingID: id, asset: AssetReference(asset), grantee: grantee, expires: Int64(expiresAt.timeIntervalSince1970),
                            share: shareID)
                }
            case .storyboard where grant.storyboardURL == nil:
                grant.storyboardURL = keys.publicURL
                    + keys.storyboardPath(
                        recordingID: id, asset: AssetReference(asset), expires: Int64(expiresAt.timeIntervalSince1970), share: shareID)
            case .thumbnail where grant.thumbnailURL == nil:
                grant.thumbnailURL = try await signedURL(key, of: id, expires: expiresAt, share: shareID)
            case .captions:
                let label = (asset.key as NSString).lastPathComponent
                grant.captions.append((label, try await signedURL(key, of: id, expires: expiresAt, share: shareID)))
            case .chat where !chat || share != nil:
                break
            case .chat, .summary:
                // Text beside the video, like its captions: whoever may watch may read the summary,
                // with or without downloads of the video; the chat only those ``mayReadChat(_:)``
                // lets in. Each fetch is audited.
                grant.files.append(
                    (asset.kind, keys.publicURL
                        + keys.downloadPath(
                            recordingID: id, asset: AssetReference(asset), grantee: grantee, expires: Int64(expiresAt.timeIntervalSince1970),
                            share: shareID), asset.sizeBytes))
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

    /// `attachment; filename="<room> <date>.mp4"` (`<room> <date> chat.csv` for a side file),
    /// with an RFC 5987 form for non-ASCII names.
    static func attachment(_ recording: Recording, key: String, kind: AssetKind? = nil) -> String {
        let date = (recording.startedAt ?? recording.createdAt).rfc3339.prefix(10)
        let ext = (key as NSString).pathExtension.isEmpty ? "mp4" : (key as NSString).pathExtension
        let label = kind.map { AssetKind.sideFiles.contains($0) ? " \($0.rawValue)" : "" } ?? ""
        let name = "\(recording.roomName) \(date)\(label).\(ext)"
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }

    func clientIP(_ request: Request, context: TapedeckRequestContext) -> String {
        keys.trustedProxies.clientAddress(
            peer: context.remoteAddress?.ipAddress ?? "", forwardedFor: request.headers[HTTPField.Name("X-Forwarded-For")!])
    }
}
