import Foundation
import Testing
@testable import ObjectStorage

/// GCS V4 signed URLs equal to those of the google-cloud-storage library (tools/vectors/gcs_v4_vectors.py).
@Suite("GCS V4 signed URLs against google-cloud-storage")
struct GCSV4SignerTests {
    struct File: Decodable {
        struct Vector: Decodable, CustomStringConvertible {
            var name: String
            var bucket: String
            var key: String
            var expires: Int
            var epoch: Double
            var content_disposition: String?
            var content_type: String?
            var expected_url: String
            var description: String { name }
        }
        var service_account: [String: String]
        var vectors: [Vector]
    }

    static let file: File = {
        let url = Bundle.module.url(forResource: "gcs_v4", withExtension: "json")!
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }()

    @Test("signed URLs match the library", arguments: file.vectors)
    func matches(vector: File.Vector) throws {
        let account = try GCSServiceAccount(json: JSONEncoder().encode(Self.file.service_account))
        let url = try GCSV4Signer(account: account).signedURL(
            bucket: vector.bucket, key: vector.key, expires: vector.expires,
            overrides: ResponseOverrides(contentDisposition: vector.content_disposition, contentType: vector.content_type),
            date: Date(timeIntervalSince1970: vector.epoch))
        #expect(url == vector.expected_url)
    }

    @Test func unusableKeysAreExplained() {
        #expect(throws: GCSServiceAccount.LoadError.self) { try GCSServiceAccount(json: Data("{}".utf8)) }
        #expect(throws: GCSServiceAccount.LoadError.self) {
            try GCSServiceAccount(json: Data(#"{"client_email":"a@b","private_key":"nope"}"#.utf8))
        }
    }
}
