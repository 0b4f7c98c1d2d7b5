import Foundation
import TapedeckCore
import TapedeckStore

/// An organization as the API shows it; `viewerSecret` only in the answer that created it.
struct OrganizationRepresentation: JSONRepresentable {
    var organization: Organization
    var viewerSecret: IssuedViewerSecret? = nil

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("id", organization.id.uuidString.lowercased())
            json.member("slug", organization.slug)
            json.member("name", organization.name)
            json.member("access_rule", organization.accessRule.rawValue)
            json.member("allow_global_viewer_secret", organization.allowGlobalViewerSecret)
            json.member("retain_days", organization.retainDays)
            json.member("created_at", organization.createdAt.rfc3339)
            json.member("updated_at", organization.updatedAt.rfc3339)
            if let viewerSecret { json.member("viewer_secret", viewerSecret) }
        }
    }
}

/// A viewer-token secret in the one answer that shows it.
struct IssuedViewerSecret: JSONRepresentable {
    var kid: String
    var secret: String
    /// When the secrets it replaces stop being accepted (a rotation), `nil` for the first one.
    var previousExpireAt: Date? = nil

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("kid", kid)
            json.member("secret", secret)
            if let previousExpireAt { json.member("previous_expire_at", previousExpireAt.rfc3339) }
        }
    }

    /// A fresh secret: about 256 random bits, and a `kid` that says what it is.
    static func generate() -> (kid: String, secret: String) {
        ("ovk_" + RandomToken.base62(length: 20), "tdvs_" + RandomToken.base62(length: 43))
    }
}

/// An API key in the one answer that shows its secret, or in a list (never the secret).
struct OrganizationKeyRepresentation: JSONRepresentable {
    var key: APIKey
    var token: String? = nil

    func write(to json: inout JSONWriter) {
        json.object { json in
            json.member("id", key.id.uuidString.lowercased())
            json.member("name", key.name)
            json.member("organization_id", key.organizationID?.uuidString.lowercased())
            if let token { json.member("key", token) }
            json.member("created_at", key.createdAt.rfc3339)
            json.member("last_used_at", key.lastUsedAt?.rfc3339)
            json.member("revoked_at", key.revokedAt?.rfc3339)
        }
    }
}
