import Crypto
import Foundation
import TapedeckCore
import TapedeckRecording

/// How a text track is served: the cues themselves, an HLS subtitle playlist around them, or
/// the cues as JSON for the player's transcript panel (with what WebVTT cannot carry: the key of
/// the cue a translation translates, and the speaker's name as given).
enum TextTrackFormat: String, Sendable {
    case vtt
    case m3u8
    case json
}

/// The secrets and limits of playback: viewer tokens and the signed links of Tapedeck-served playlists.
public struct PlaybackKeys: Sendable {
    /// Viewer tokens are HS256 JWTs signed with this (the customer's backend holds it too).
    public var viewerSecret: [UInt8]
    /// Signs `/playback/...` playlist links, which a `<video>` element fetches without headers.
    let linkKey: SymmetricKey
    /// Signs the dashboard's session cookies and CSRF tokens.
    let adminSession: AdminSession
    /// Signs the cookie a share page's passcode leaves for renewing its grant.
    let shareSession: ShareSession
    /// How long playback URLs stay valid.
    public var ttl: TimeInterval
    /// Externally visible base URL, no trailing slash.
    public var publicURL: String
    /// Longest a share link may be valid, in seconds.
    public var shareMaxLifetime: Int = 30 * 86_400
    /// Whose `X-Forwarded-For` names the viewer in the audit log.
    public var trustedProxies = TrustedProxies()
    /// Opens organizations' sealed viewer-token secrets (set from the sealing key at start-up,
    /// see ``AppDependencies``).
    public var organizationSecrets = WebhookSecretBox.ephemeral()

    public init(viewerSecret: [UInt8], linkSecret: [UInt8], ttl: TimeInterval, publicURL: String) {
        self.viewerSecret = viewerSecret
        self.linkKey = SymmetricKey(data: linkSecret)
        self.adminSession = AdminSession(secret: linkSecret)
        self.shareSession = ShareSession(secret: linkSecret)
        self.ttl = ttl
        self.publicURL = publicURL
    }

    /// Fresh random keys (tests and tools without a data directory).
    public static func ephemeral(publicURL: String = "http://127.0.0.1") -> PlaybackKeys {
        PlaybackKeys(
            viewerSecret: Array(RandomToken.bytes(32)), linkSecret: Array(RandomToken.bytes(32)), ttl: 3600,
            publicURL: publicURL)
    }

    static let linkContext = "tapedeck-playlist-v1"

    /// `/playback/{recording}/{asset}.m3u8?expires=...[&share=...]&sig=...`: the playlist of one
    /// HLS asset. A link granted through a share names it (signed), so that every use re-checks it.
    func playlistPath(recordingID: UUID, asset: AssetReference, expires: Int64, share: UUID? = nil) -> String {
        let id = recordingID.uuidString.lowercased()
        let sig = signature(id, asset, expires, context: Self.bound(Self.linkContext, share?.uuidString.lowercased()))
        return "/playback/\(id)/\(asset).m3u8?expires=\(expires)\(Self.shareQuery(share))&sig=\(sig)"
    }

    func verifyPlaylist(
        recordingID: String, asset: AssetReference, expires: String?, share: String? = nil, signature given: String?, now: Date
    ) -> Bool {
        verify(recordingID, asset, expires: expires, signature: given, now: now, context: Self.bound(Self.linkContext, share))
    }

    /// A signature context bound to a share, when the link came from one.
    static func bound(_ context: String, _ share: String?) -> String {
        share.map { context + "\nshare:" + $0 } ?? context
    }

    static func shareQuery(_ share: UUID?) -> String {
        share.map { "&share=" + $0.uuidString.lowercased() } ?? ""
    }

    static let storyboardContext = "tapedeck-storyboard-v1"

    /// `/storyboard/{recording}/{asset}.vtt?expires=...&sig=...`: a storyboard index whose sprite
    /// references are signed when it is served.
    func storyboardPath(recordingID: UUID, asset: AssetReference, expires: Int64, share: UUID? = nil) -> String {
        let id = recordingID.uuidString.lowercased()
        let sig = signature(id, asset, expires, context: Self.bound(Self.storyboardContext, share?.uuidString.lowercased()))
        return "/storyboard/\(id)/\(asset).vtt?expires=\(expires)\(Self.shareQuery(share))&sig=\(sig)"
    }

    func verifyStoryboard(
        recordingID: String, asset: AssetReference, expires: String?, share: String? = nil, signature given: String?, now: Date
    ) -> Bool {
        verify(
            recordingID, asset, expires: expires, signature: given, now: now,
            context: Self.bound(Self.storyboardContext, share))
    }

    private func verify(
        _ recordingID: String, _ item: some CustomStringConvertible, expires: String?, signature given: String?, now: Date,
        context: String
    ) -> Bool {
        guard let expires, let expiry = Int64(expires), let given else { return false }
        let expected = signature(recordingID, item, expiry, context: context)
        guard ConstantTime.equals(Array(expected.utf8), Array(given.utf8)) else { return false }
        return Double(expiry) >= now.timeIntervalSince1970
    }

    static let textTrackContext = "tapedeck-text-track-v1"

    /// `/text-tracks/{recording}/{kind}/{language}.{vtt|m3u8|json}?expires=...[&share=...]&sig=...`:
    /// one track of cues as WebVTT, as the HLS subtitle playlist that wraps it, or as JSON. The
    /// format is not signed: each is the same track. Kinds and language tags are letters, digits
    /// and hyphens: safe in a path as they are.
    func textTrackPath(
        recordingID: UUID, kind: CueKind, language: String, format: TextTrackFormat, expires: Int64, share: UUID? = nil
    ) -> String {
        let id = recordingID.uuidString.lowercased()
        let track = "\(kind.rawValue)/\(language)"
        let sig = signature(id, track, expires, context: Self.bound(Self.textTrackContext, share?.uuidString.lowercased()))
        return "/text-tracks/\(id)/\(track).\(format.rawValue)?expires=\(expires)\(Self.shareQuery(share))&sig=\(sig)"
    }

    func verifyTextTrack(
        recordingID: String, kind: CueKind, language: String, expires: String?, share: String?, signature given: String?,
        now: Date
    ) -> Bool {
        verify(
            recordingID, "\(kind.rawValue)/\(language)", expires: expires, signature: given, now: now,
            context: Self.bound(Self.textTrackContext, share))
    }

    static let downloadContext = "tapedeck-download-v1"

    /// `/download/{recording}/{asset}?expires=...&by=...&sig=...`: a download that is audited, then
    /// redirected to the store's signed URL. `by` (the grantee) is signed too.
    func downloadPath(recordingID: UUID, asset: AssetReference, grantee: String, expires: Int64, share: UUID? = nil) -> String {
        let id = recordingID.uuidString.lowercased()
        let by = grantee.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~:"))) ?? ""
        let sig = signature(id, asset, expires, context: Self.bound(Self.downloadContext + "\n" + grantee, share?.uuidString.lowercased()))
        return "/download/\(id)/\(asset)?expires=\(expires)&by=\(by)\(Self.shareQuery(share))&sig=\(sig)"
    }

    func verifyDownload(
        recordingID: String, asset: AssetReference, grantee: String, expires: String?, share: String? = nil, signature given: String?,
        now: Date
    ) -> Bool {
        // The signed text separates fields with newlines: a grantee holding one could pass for
        // the share field and drop it from the link. Grantees Tapedeck writes never do.
        guard !grantee.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return false }
        return verify(
            recordingID, asset, expires: expires, signature: given, now: now,
            context: Self.bound(Self.downloadContext + "\n" + grantee, share))
    }

    /// `item` names what is signed within the recording: an asset (``AssetReference``), or a text track.
    private func signature(
        _ recordingID: String, _ item: some CustomStringConvertible, _ expires: Int64, context: String = linkContext
    ) -> String {
        let message = "\(context)\n\(recordingID)\n\(item)\n\(expires)"
        return Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: linkKey)))
    }
}
