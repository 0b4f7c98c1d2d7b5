import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import TapedeckCore
import TapedeckRecording

/// The server-rendered pages' templates (`Resources/templates/*.mustache`), loaded once, and the
/// static files they use (`Resources/assets`).
///
/// Every value reaches a page through ``HTMLEscaping``: values are escaped before rendering and
/// each template is loaded with mustache's own escaping switched off (its escaper compares whole
/// grapheme clusters and misses a quote followed by a combining mark), so no template, partial or
/// triple-brace tag can print a value unescaped.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let assets: PageAssets
    /// Sent with every page: no inline script, style or handler runs, and no page can be framed.
    let contentSecurityPolicy: String

    static let templates = [
        "head", "foot", "player", "message", "passcode", "login", "dashboard", "admin-panel", "storyboard-previews",
        "transcript-panel", "search", "my", "request-link",
    ]

    /// Put before each template's text: values arrive escaped, so mustache must not escape them again.
    static let verbatim = "{{% CONTENT_TYPE: TEXT}}"

    /// `mediaOrigins`: where the pages' media, thumbnails and storyboard sprites are fetched from
    /// besides Tapedeck itself (the storage's origin when the browser reads a bucket directly).
    static func load(mediaOrigins: [String] = []) async throws -> PageRenderer {
        guard let url = Bundle.module.url(forResource: "templates", withExtension: nil, subdirectory: "Resources") else {
            throw PageError.templatesMissing("no Resources/templates in the bundle")
        }
        // Every template in the folder gets the prefix, so a new one cannot miss it.
        var library = MustacheLibrary()
        for file in try FileManager.default.contentsOfDirectory(atPath: url.path) where file.hasSuffix(".mustache") {
            let text = try String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
            try library.register(verbatim + text, named: String(file.dropLast(".mustache".count)))
        }
        for name in templates where library.getTemplate(named: name) == nil {
            throw PageError.templatesMissing("template \(name) missing from \(url.path)")
        }
        return PageRenderer(
            library: library, assets: try PageAssets.load(),
            contentSecurityPolicy: ContentSecurityPolicy.pages(mediaOrigins: mediaOrigins))
    }

    enum PageError: Error { case templatesMissing(String) }

    /// The HTML of a page, every value in `values` escaped.
    func html(_ template: String, _ values: [String: Any]) -> String {
        library.render(HTMLEscaping.escapedValues(values), withTemplate: template)
            ?? "<!doctype html><title>Tapedeck</title><p>page unavailable</p>"
    }

    /// A rendered page; never cached (it carries short-lived signed URLs or personal data).
    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
        -> Response
    {
        var fields = headers
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.cacheControl] = "no-store"
        fields[.contentSecurityPolicy] = contentSecurityPolicy
        fields[.xFrameOptions] = "DENY"
        fields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        fields[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html(template, values))))
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

extension HTTPField.Name {
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
