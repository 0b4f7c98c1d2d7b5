import Crypto
import Foundation

/// Seals webhook signing secrets for storage (AES-GCM). The secret must be recovered to sign,
/// so it cannot be hashed like API keys; sealing keeps a database dump from revealing it.
public struct WebhookSecretBox: Sendable {
    private let key: SymmetricKey

    /// `material`: at least 32 bytes (a configured key or one generated into the data dir).
    public init(material: [UInt8]) {
        key = SymmetricKey(data: SHA256.hash(data: material))
    }

    private init(key: SymmetricKey) { self.key = key }

    /// A box for another kind of secret, with its own key derived from this one (HKDF), so one
    /// configured sealing key serves every sealed secret and none can be opened as another.
    public func derived(for purpose: String) -> WebhookSecretBox {
        WebhookSecretBox(
            key: HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array("tapedeck-sealing:\(purpose)".utf8), outputByteCount: 32))
    }

    public static func ephemeral() -> WebhookSecretBox {
        WebhookSecretBox(material: (0..<32).map { _ in UInt8.random(in: .min ... .max) })
    }

    public func seal(_ secret: String) throws -> String {
        guard let combined = try AES.GCM.seal(Array(secret.utf8), using: key).combined else {
            throw WebhookSecretError()
        }
        return "v1:" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))) else {
            throw WebhookSecretError()
        }
        do {
            let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: key)
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw WebhookSecretError()
        }
    }
}

package struct WebhookSecretError: Error, CustomStringConvertible {
    package var description: String {
        "the endpoint's signing secret cannot be unsealed (was the webhook sealing key changed?); create the endpoint again"
    }
}
