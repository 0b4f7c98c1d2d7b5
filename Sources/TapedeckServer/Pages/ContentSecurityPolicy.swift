import Foundation
import TapedeckRecording

/// The pages' Content-Security-Policy: scripts and styles only from Tapedeck's own files (no inline
/// code or `on…` handler runs even if markup got into a page), media and images also from the
/// storage the browser reads recordings from, forms posting only back to Tapedeck, no framing.
enum ContentSecurityPolicy {
    static func pages(mediaOrigins: [String]) -> String {
        let media = (["'self'"] + mediaOrigins.compactMap(origin(of:))).reduce(into: [String]()) { list, source in
            if !list.contains(source) { list.append(source) }
        }.joined(separator: " ")
        return [
            "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src \(media)", "media-src \(media)",
            "connect-src \(media)", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
        ].joined(separator: "; ")
    }

    /// `scheme://host[:port]` of an http(s) URL; nil for anything else, so nothing odd enters the header.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.percentEncodedHost?.lowercased(), !host.isEmpty,
            host.unicodeScalars.allSatisfy({ $0.isASCII && !" ;,'\"".unicodeScalars.contains($0) })
        else { return nil }
        let port = components.port.map { ":\($0)" } ?? ""
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(bracketed)\(port)"
    }
}
