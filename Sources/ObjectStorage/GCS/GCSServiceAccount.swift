import Crypto
import Foundation
import _CryptoExtras

/// The parts of a Google service-account JSON key Tapedeck needs to sign URLs.
public struct GCSServiceAccount: Sendable {
    public let clientEmail: String
    let privateKey: _RSA.Signing.PrivateKey

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String)
        public var description: String {
            switch self {
            case .unreadable(let why): "not a usable service-account key: \(why)"
            }
        }
    }

    public init(json: Data) throws(LoadError) {
        struct File: Decodable {
            var type: String?
            var client_email: String
            var private_key: String
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: json)
        } catch {
            throw .unreadable("expected JSON with client_email and private_key")
        }
        guard file.type == nil || file.type == "service_account" else {
            throw .unreadable("type is \(file.type!), expected service_account")
        }
        do {
            self.privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: file.private_key)
        } catch {
            throw .unreadable("private_key is not an RSA key in PEM form")
        }
        self.clientEmail = file.client_email
    }
}

/// Google Cloud Storage V4 signed URLs (`GOOG4-RSA-SHA256`) made with a service account's key.
public struct GCSV4Signer: Sendable {
    public let account: GCSServiceAccount
    /// `https://storage.googleapis.com`
    public let endpoint: String

    public init(account: GCSServiceAccount, endpoint: String = "https://storage.googleapis.com") {
        self.account = account
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
    }

    public func signedURL(
        bucket: String, key: String, expires: Int, overrides: ResponseOverrides = .init(), date: Date
    ) throws -> String {
        let stamp = AMZDate(date)
        let host = URLComponents(string: endpoint)?.host.map { host in
            URLComponents(string: endpoint)?.port.map { "\(host):\($0)" } ?? host
        } ?? "storage.googleapis.com"
        let path = "/" + SigV4Signer.encodePath(bucket) + "/" + SigV4Signer.encodePath(key)
        let scope = "\(stamp.day)/auto/storage/goog4_request"
        var parameters: [(String, String)] = [
            ("X-Goog-Algorithm", "GOOG4-RSA-SHA256"), ("X-Goog-Credential", "\(account.clientEmail)/\(scope)"),
            ("X-Goog-Date", stamp.full), ("X-Goog-Expires", String(min(max(expires, 1), 604_800))),
            ("X-Goog-SignedHeaders", "host"),
        ]
        if let type = overrides.contentType { parameters.append(("response-content-type", type)) }
        if let disposition = overrides.contentDisposition {
            parameters.append(("response-content-disposition", disposition))
        }
        let query = SigV4Signer.canonicalQuery(parameters)
        let canonical = "GET\n\(path)\n\(query)\nhost:\(host)\n\nhost\nUNSIGNED-PAYLOAD"
        let hash = Hex.string(SHA256.hash(data: Array(canonical.utf8)))
        let stringToSign = "GOOG4-RSA-SHA256\n\(stamp.full)\n\(scope)\n\(hash)"
        let signature = try account.privateKey.signature(for: Data(stringToSign.utf8), padding: .insecurePKCS1v1_5)
        return "\(endpoint)\(path)?\(query)&X-Goog-Signature=\(Hex.string(signature.rawRepresentation))"
    }
}
