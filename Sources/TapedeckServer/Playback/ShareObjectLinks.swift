import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import ObjectStorage
import TapedeckCore
import TapedeckRecording

/// What a share-bound object link leads to, which decides how long the store's URL behind it lives.
enum SharedObjectUse: String, Sendable {
    /// Fetched once, right after the redirect (a segment, sprite, thumbnail or captions file), so
    /// the store's URL can be brief.
    case segment
    /// The MP4, which a player reads in ranges over minutes from the URL it was redirected to: the
    /// store's URL lives as long as the link.
    case file
}

/// With S3, GCS or Supabase storage, media granted through a share does not point at the bucket:
/// it points at `/share-object/{recording}/{use}?key=...&expires=...&share=...&sig=...`, which
/// checks the share on every use and then redirects to a signed store URL. So revoking a share
/// stops its segments as soon as the player asks for the next one, as `/media` does for local
/// storage.
extension PlaybackKeys {
    static let sharedObjectContext = "tapedeck-share-object-v1"
    /// How long the store's URL behind a segment link lives: enough to follow a redirect.
    static let segmentRedirectLifetime: TimeInterval = 60

    func sharedObjectPath(recordingID: UUID, key: String, use: SharedObjectUse, expires: Int64, share: UUID) -> String {
        let id = recordingID.uuidString.lowercased()
        let shareID = share.uuidString.lowercased()
        let sig = sharedObjectSignature(id, key: key, use: use, expires: expires, share: shareID)
        let encodedKey = key.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~/"))) ?? ""
        return "/share-object/\(id)/\(use.rawValue)?key=\(encodedKey)&expires=\(expires)&share=\(shareID)&sig=\(sig)"
    }

    func verifySharedObject(
        recordingID: String, key: String, use: SharedObjectUse, expires: String?, share: String, signature given: String?, now: Date
    ) -> Bool {
        guard let expires, let expiry = Int64(expires), let given else { return false }
        let expected = sharedObjectSignature(recordingID, key: key, use: use, expires: expiry, share: share)
        guard ConstantTime.equals(Array(expected.utf8), Array(given.utf8)) else { return false }
        return Double(expiry) >= now.timeIntervalSince1970
    }

    /// The key is last and counted, so no key (whatever it holds) can pass for other fields.
    private func sharedObjectSignature(_ recordingID: String, key: String, use: SharedObjectUse, expires: Int64, share: String) -> String {
        let message = "\(Self.sharedObjectContext)\n\(recordingID)\n\(share)\n\(use.rawValue)\n\(expires)\n\(key.utf8.count)\n\(key)"
        return Base64URL.encode(Data(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: linkKey)))
    }
}

extension PlaybackController {
    /// `GET /share-object/{id}/{use}`: the share is checked, then the browser goes to the store.
    @Sendable func sharedObject(_ request: Request, context: TapedeckRequestContext) async throws -> Response {
        let id = (context.parameters.get("id") ?? "").lowercased()
        guard let uuid = UUID(uuidString: id), let use = SharedObjectUse(rawValue: context.parameters.get("use") ?? ""),
            let key = request.query("key"), let share = request.query("share"), let objectKey = try? ObjectKey(key)
        else { throw APIError.notFound("object") }
        let now = catalog.clock.now()
        guard
            keys.verifySharedObject(
                recordingID: id, key: key, use: use, expires: request.query("expires"), share: share,
                signature: request.query("sig"), now: now)
        else {
            throw APIError(.forbidden, code: "link_expired", message: "this playback link is invalid or has expired; ask for a new one")
        }
        try await grants.requireLiveShare(share, recordingID: uuid, now: now)
        // A deleted recording's links stop with it, before its purge has run.
        guard let recording = try await catalog.pool.recordings.find(id: uuid), recording.status == .ready,
            key.utf8.starts(with: recording.keyPrefix.utf8)
        else { throw APIError.notFound("object") }
        let linkExpiry = Date(timeIntervalSince1970: Double(request.query("expires") ?? "") ?? 0)
        let lifetime = use == .segment
            ? min(PlaybackKeys.segmentRedirectLifetime, linkExpiry.timeIntervalSince(now)) : linkExpiry.timeIntervalSince(now)
        let url: String
        do {
            url = try await store.signedURL(objectKey, expiresIn: max(1, lifetime), overrides: .init())
        } catch ObjectStoreError.notFound {
            throw APIError.notFound("object")
        }
        var headers = HTTPFields()
        headers[.location] = url
        headers[.cacheControl] = "no-store"
        return Response(status: .found, headers: headers)
    }
}
