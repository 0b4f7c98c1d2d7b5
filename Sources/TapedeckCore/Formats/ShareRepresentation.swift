import Foundation

/// A share in the JSON API and in outbound events; never its token or passcode.
package struct ShareRepresentation: JSONRepresentable {
    package var share: Share
    /// Only when just created: the token exists nowhere else.
    package var url: String?

    package init(share: Share, url: String? = nil) {
        self.share = share
        self.url = url
    }

    package func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("id", share.id.uuidString.lowercased())
            json.member("recording_id", share.recordingID.uuidString.lowercased())
            if let url { json.member("url", url) }
            json.member("email", share.email)
            json.member("has_passcode", share.hasPasscode)
            json.member("allow_download", share.allowDownload)
            json.member("expires_at", share.expiresAt.rfc3339)
            json.member("revoked_at", share.revokedAt?.rfc3339)
            json.member("views", Int(share.views))
            json.member("created_by", share.createdBy)
            json.member("created_at", share.createdAt.rfc3339)
        }
    }
}
