import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import Testing

import TapedeckCore
@testable import TapedeckServer
@testable import TapedeckRecording

@Suite("HTML escaping of page values")
struct HTMLEscapingTests {
    /// A quote or bracket followed by a combining mark, joiner or variation selector: one grapheme
    /// cluster, which an escaper walking `Character`s does not recognise as `"`.
    static let clustered = [
        "x\"\u{0301} onloadstart=alert(1) y", "x'\u{0301} onfocus=alert(1) autofocus y", "x\"\u{200D} onmouseover=alert(1) y",
        "x\"\u{FE0F} onerror=alert(1) y", "x\"\u{20E3} onclick=alert(1) y", "<\u{0301}script>alert(1)</script>",
        "\"\u{0301}><img src=x onerror=alert(1)>", "&\u{0301}lt;", ">\u{0301}",
    ]
    static let plain = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'><svg onload=alert(1)>", "a&b", "café"]

    static let entities: [(String, String)] = [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&")]

    /// Undoes the five entities, to show nothing was lost. On UTF-8 bytes: String's own search
    /// compares grapheme clusters and would miss "&quot;" before a combining mark, the very bug.
    static func unescape(_ html: String) -> String {
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        var index = 0
        outer: while index < bytes.count {
            for (entity, character) in entities where bytes[index...].starts(with: entity.utf8) {
                out.append(contentsOf: character.utf8)
                index += entity.utf8.count
                continue outer
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether every `&` in `html` starts one of the five entities.
    static func onlyEntities(_ html: String) -> Bool {
        let bytes = Array(html.utf8)
        return bytes.indices.filter { bytes[$0] == UInt8(ascii: "&") }.allSatisfy { at in
            entities.contains { bytes[at...].starts(with: $0.0.utf8) }
        }
    }

    /// Byte search, for the same reason as ``unescape``.
    static func has(_ html: String, _ part: String) -> Bool {
        Array(html.utf8).firstRange(of: Array(part.utf8)) != nil
    }

    @Test("every special byte is replaced, even inside a grapheme cluster", arguments: clustered + plain)
    func escapesByScalar(value: String) {
        let escaped = HTMLEscaping.escape(value)
        for special in ["<", ">", "\"", "'"] {
            #expect(!escaped.unicodeScalars.contains(Unicode.Scalar(special)!), "\(special) left in \(escaped.debugDescription)")
        }
        #expect(Self.onlyEntities(escaped))
        #expect(Self.unescape(escaped).unicodeScalars.elementsEqual(value.unicodeScalars))
    }

    @Test("text without special characters is returned as it is")
    func plainTextUnchanged() {
        for text in ["", "math 101", "👩‍👩‍👧‍👦 family", "cafe\u{0301}", "\u{202E}evil"] {
            #expect(HTMLEscaping.escape(text) == text)
        }
    }

    @Test("nested values are escaped; flags and numbers stay usable in sections")
    func nestedValues() throws {
        let values = HTMLEscaping.escapedValues([
            "room": "x\"\u{0301}", "flag": true, "count": 3,
            "items": [["name": "<b>"], ["name": "ok"]], "list": ["'"],
        ] as [String: Any]) as? [String: Any]
        #expect(values?["room"] as? String == "x&quot;\u{0301}")
        #expect(values?["flag"] as? Bool == true)
        #expect(values?["count"] as? Int == 3)
        #expect((values?["items"] as? [Any])?.compactMap { ($0 as? [String: Any])?["name"] as? String } == ["&lt;b&gt;", "ok"])
        #expect((values?["list"] as? [Any])?.first as? String == "&#39;")
    }

    @Test("no tag form prints a value unescaped, and nothing is escaped twice")
    func templatesCannotBypass() throws {
        var library = MustacheLibrary()
        try library.register(
            PageRenderer.verbatim + "<a title=\"{{v}}\">{{{v}}}</a>{{#list}}<i data-x='{{.}}'>{{> part}}</i>{{/list}}", named: "page")
        try library.register(PageRenderer.verbatim + "<b title=\"{{v}}\">{{&v}}</b>", named: "part")
        let renderer = PageRenderer(library: library, assets: PageAssets(files: [:]), contentSecurityPolicy: "")
        for value in Self.clustered + Self.plain {
            let html = renderer.html("page", ["v": value, "list": [value]])
            let e = HTMLEscaping.escape(value)
            let expected = "<a title=\"\(e)\">\(e)</a><i data-x='\(e)'><b title=\"\(e)\">\(e)</b></i>"
            #expect(Array(html.utf8) == Array(expected.utf8), "\(value.debugDescription)")
        }
    }

    @Test("every page template renders hostile values escaped")
    func pageTemplates() async throws {
        let renderer = try await PageRenderer.load()
        for value in Self.clustered {
            let values: [String: Any] = [
                "title": value, "room": value, "participant": value, "participants": value, "notice": value,
                "message": value, "detail": value, "error": value, "action": value, "admin": true, "csrf": "c",
                "recordingID": "r", "date": value, "items": [["id": "i", "room": value, "participants": value]],
                "hasItems": true, "events": [["at": value, "type": value, "actor": value, "data": value]],
            ]
            for template in ["player", "message", "passcode", "login", "dashboard"] {
                let html = renderer.html(template, values)
                #expect(!Self.has(html, value), "\(template) printed \(value.debugDescription) raw")
                #expect(Self.has(html, HTMLEscaping.escape(value)), "\(template) lost \(value.debugDescription)")
                #expect(!Self.has(html, "&amp;quot;") && !Self.has(html, "&amp;lt;"), "\(template) escaped twice")
            }
        }
    }

    @Test("numbers still fill sections and attributes; pages carry the policy and refuse framing")
    func numbersAndHeaders() async throws {
        let renderer = try await PageRenderer.load(mediaOrigins: ["https://bucket.example/key?sig=1"])
        let html = renderer.html("message", ["title": "Still processing", "message": "soon", "refreshSeconds": 5])
        let page = renderer.message(title: "Still processing", message: "soon", status: .ok, refreshSeconds: 5)
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"5\">") && html.contains("refreshes itself"))
        #expect(page.headers[.contentSecurityPolicy]?.contains("media-src 'self' https://bucket.example;") == true)
        #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
    }

    @Test("the policy names only well-formed origins")
    func policyOrigins() {
        let policy = ContentSecurityPolicy.pages(mediaOrigins: [
            "https://bucket.s3.us-east-1.amazonaws.com/key?X-Amz-Signature=abc", "http://127.0.0.1:9000/b/k", "javascript:alert(1)",
            "https://evil.example; script-src *", "http://127.0.0.1:9000",
        ])
        #expect(policy.contains("media-src 'self' https://bucket.s3.us-east-1.amazonaws.com http://127.0.0.1:9000;"))
        #expect(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'self';"))
        #expect(!policy.contains("evil") && !policy.contains("javascript") && !policy.contains("unsafe-inline"))
    }
}
