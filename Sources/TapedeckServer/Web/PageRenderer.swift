import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The server-rendered pages' templates (`Resources/templates/*.mustache`), loaded once.
struct PageRenderer: Sendable {
    let library: MustacheLibrary

    static let templates = ["head", "foot", "player", "message", "passcode", "login", "dashboard", "admin-panel", "storyboard-previews"]

    static func load() async throws -> PageRenderer {
        guard let url = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources") else {
            throw PageError.templatesMissing("no Resources/templates in the bundle")
        }
        let library = try await MustacheLibrary(directory: url.path)
        for name in templates where library.getTemplate(named: name) == nil {
            throw PageError.templatesMissing("template \(name) missing from \(url.path)")
        }
        return PageRenderer(library: library)
    }

    enum PageError: Error { case templatesMissing(String) }

    /// A rendered page; never cached (it carries short-lived signed URLs or personal data).
    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
        -> Response
    {
        let html = library.render(values, withTemplate: template) ?? "<!doctype html><title>Tapedeck</title><p>page unavailable</p>"
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The plain pages: still processing, failed, expired link, access denied, not found.
    func message(
        title: String, message: String, detail: String? = nil, status: HTTPResponse.Status, refreshSeconds: Int? = nil
    ) -> Response {
        var values: [String: Any] = ["title": title, "message": message, "isError": status.code >= 400]
        if let detail { values["detail"] = detail }
        if let refreshSeconds { values["refreshSeconds"] = refreshSeconds }
        return page("message", values, status: status)
    }
}
