import Foundation

/// An HLS playlist read line by line, keeping everything it does not interpret.
///
/// Used to find the files a playlist refers to (segments, `EXT-X-MAP` init segments, variant
/// playlists) and to rewrite those references; all other lines pass through untouched.
public struct HLSPlaylist: Sendable, Equatable {
    public enum Line: Sendable, Equatable {
        /// A URI line: a segment, or a variant playlist in a master playlist.
        case uri(String)
        /// A tag with a `URI="..."` attribute (`EXT-X-MAP`, `EXT-X-KEY`, `EXT-X-MEDIA`, ...):
        /// the text before the URI, the URI, and the text after it.
        case taggedURI(before: String, uri: String, after: String)
        /// Anything else, verbatim (tags, comments, blank lines).
        case other(String)
    }

    public var lines: [Line]

    public enum ParseError: Error, Equatable {
        case notAPlaylist
    }

    public static func parse(_ text: String) throws(ParseError) -> HLSPlaylist {
        var body = Substring(text)
        if body.hasPrefix("\u{FEFF}") { body = body.dropFirst() }
        guard body.hasPrefix("#EXTM3U") else { throw .notAPlaylist }
        var lines: [Line] = []
        for raw in body.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.hasPrefix("#") {
                if line.hasPrefix("#EXT"), let quoted = Self.uriAttribute(in: line) {
                    lines.append(
                        .taggedURI(
                            before: String(line[..<quoted.range.lowerBound]), uri: quoted.value,
                            after: String(line[quoted.range.upperBound...])))
                } else {
                    lines.append(.other(line))
                }
            } else if line.trimmingCharacters(in: .whitespaces).isEmpty {
                lines.append(.other(line))
            } else {
                lines.append(.uri(line.trimmingCharacters(in: .whitespaces)))
            }
        }
        return HLSPlaylist(lines: lines)
    }

    /// The `URI="..."` value of a tag and the range of the value between the quotes.
    private static func uriAttribute(in line: String) -> (value: String, range: Range<String.Index>)? {
        guard let start = line.range(of: "URI=\"") else { return nil }
        guard let end = line[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return (String(line[start.upperBound..<end]), start.upperBound..<end)
    }

    /// A master playlist lists variants (`#EXT-X-STREAM-INF`) rather than segments.
    public var isMaster: Bool {
        lines.contains { if case .other(let text) = $0 { text.hasPrefix("#EXT-X-STREAM-INF") } else { false } }
    }

    /// Every URI the playlist refers to, in order (segments, init segments, variants, keys).
    public var uris: [String] {
        lines.compactMap { line in
            switch line {
            case .uri(let uri): uri
            case .taggedURI(_, let uri, _): uri
            case .other: nil
            }
        }
    }

    /// Variant playlists of a master playlist with their declared bandwidth, highest first.
    public var variants: [(uri: String, bandwidth: Int)] {
        var result: [(String, Int)] = []
        var pendingBandwidth: Int?
        for line in lines {
            switch line {
            case .other(let text) where text.hasPrefix("#EXT-X-STREAM-INF"):
                pendingBandwidth = Self.attribute("BANDWIDTH", in: text).flatMap(Int.init) ?? 0
            case .uri(let uri) where pendingBandwidth != nil:
                result.append((uri, pendingBandwidth!))
                pendingBandwidth = nil
            default:
                break
            }
        }
        return result.sorted { $0.1 > $1.1 }.map { (uri: $0.0, bandwidth: $0.1) }
    }

    /// Sum of `#EXTINF` durations in milliseconds.
    public var durationMs: Int64 {
        var total = 0.0
        for line in lines {
            if case .other(let text) = line, text.hasPrefix("#EXTINF:") {
                let value = text.dropFirst("#EXTINF:".count).prefix { $0 != "," }
                total += Double(value.trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        return Int64((total * 1000).rounded())
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        guard let range = tag.range(of: name + "=") else { return nil }
        let rest = tag[range.upperBound...]
        if rest.hasPrefix("\"") {
            return String(rest.dropFirst().prefix { $0 != "\"" })
        }
        return String(rest.prefix { $0 != "," })
    }

    /// The playlist with every URI replaced by `transform(uri)`; everything else is unchanged.
    public func rewritingURIs(_ transform: (String) throws -> String) rethrows -> String {
        var out: [String] = []
        out.reserveCapacity(lines.count)
        for line in lines {
            switch line {
            case .uri(let uri): out.append(try transform(uri))
            case .taggedURI(let before, let uri, let after): out.append(before + (try transform(uri)) + after)
            case .other(let text): out.append(text)
            }
        }
        return out.joined(separator: "\n")
    }
}
