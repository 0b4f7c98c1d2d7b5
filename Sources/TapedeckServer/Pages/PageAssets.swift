import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckRecording

/// The pages' style sheet and scripts (`Resources/assets`), read once and served at
/// `/assets/{name}`: the Content-Security-Policy allows no inline script or style, so they live
/// in files of their own.
struct PageAssets: Sendable {
    let files: [String: (type: String, body: ByteBuffer)]

    static let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8"]

    static func load() throws -> PageAssets {
        guard let url = Bundle.module.url(forResource: "assets", withExtension: nil, subdirectory: "Resources") else {
            throw PageRenderer.PageError.templatesMissing("no Resources/assets in the bundle")
        }
        var files: [String: (type: String, body: ByteBuffer)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
            guard let type = types[(name as NSString).pathExtension],
                let data = FileManager.default.contents(atPath: url.appendingPathComponent(name).path)
            else { continue }
            files[name] = (type, ByteBuffer(bytes: data))
        }
        return PageAssets(files: files)
    }

    func register(on router: Router<TapedeckRequestContext>) {
        router.get("/assets/{name}") { _, context -> Response in
            guard let name = context.parameters.get("name"), let file = files[name] else {
                throw APIError.notFound("asset")
            }
            var headers = HTTPFields()
            headers[.contentType] = file.type
            // Short: a new version's pages must not run an old script for long.
            headers[.cacheControl] = "public, max-age=300"
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.body))
        }
    }
}
