import Foundation

/// HLS subtitle renditions: a media playlist serving one WebVTT file as its only segment, and
/// the multivariant playlist that offers those renditions beside the video.
///
/// Browsers that play HLS natively show subtitles only through `#EXT-X-MEDIA:TYPE=SUBTITLES` in a
/// multivariant playlist; a `<track>` element beside an HLS `<video>` is ignored by some. The
/// WebVTT file for HLS carries `X-TIMESTAMP-MAP` (``WebVTTWriter/init(firstPTSSeconds:)``).
public enum SubtitlePlaylist {
    /// One subtitle rendition.
    public struct Track: Sendable, Equatable {
        /// What the player's menu shows (`LanguageTag.label`, perhaps with the kind).
        public var name: String
        /// The BCP 47 tag.
        public var language: String
        /// The rendition's media playlist, as the player should fetch it.
        public var uri: String

        public init(name: String, language: String, uri: String) {
            self.name = name
            self.language = language
            self.uri = uri
        }
    }

    /// The `GROUP-ID` of the renditions this type writes; a multivariant playlist rewritten again
    /// loses the previous ones of this group instead of listing them twice.
    public static let groupID = "subs"

    /// A VOD media playlist whose one segment, `vttURI`, lasts the whole recording.
    public static func media(vttURI: String, durationMs: Int64) -> String {
        let ms = max(0, durationMs)
        let target = max(1, (ms + 999) / 1000)
        let fraction = String(ms % 1000)
        let seconds = "\(ms / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
        return """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:\(target)
            #EXT-X-MEDIA-SEQUENCE:0
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXTINF:\(seconds),
            \(uriLine(vttURI))
            #EXT-X-ENDLIST

            """
    }

    /// The multivariant playlist offering `tracks`.
    ///
    /// `playlist` is the recording's stored playlist. A multivariant one keeps every line, gains
    /// an `#EXT-X-MEDIA` per track before its first variant, and each `#EXT-X-STREAM-INF` gets
    /// `SUBTITLES="subs"`. A media playlist is wrapped instead: one variant pointing at
    /// `playlistURI`, its `BANDWIDTH` the average bit rate, `totalBytes` (the segments' sizes
    /// added up) over the playlist's duration. Without tracks no subtitle group is written.
    public static func multivariant(
        _ playlist: String, playlistURI: String, totalBytes: Int64, tracks: [Track]
    ) throws(HLSPlaylist.ParseError) -> String {
        let parsed = try HLSPlaylist.parse(playlist)
        let media = mediaLines(tracks)
        guard parsed.isMaster else {
            let seconds = Double(max(parsed.durationMs, 1)) / 1000
            let bandwidth = max(1, Int64(min((Double(max(0, totalBytes)) * 8 / seconds).rounded(.up), 1e15)))
            var lines = ["#EXTM3U", "#EXT-X-VERSION:3"] + media
            lines.append("#EXT-X-STREAM-INF:BANDWIDTH=\(bandwidth)" + (tracks.isEmpty ? "" : ",SUBTITLES=\"\(groupID)\""))
            lines.append(uriLine(playlistURI))
            return lines.joined(separator: "\n") + "\n"
        }
        var out: [String] = []
        var inserted = false
        for line in parsed.lines {
            switch line {
            case .uri(let uri):
                out.append(uri)
            case .taggedURI(let before, let uri, let after):
                if isOwnRendition(before + after) { continue }
                out.append(before + uri + after)
            case .other(let text):
                if isOwnRendition(text) { continue }
                if text.hasPrefix("#EXT-X-STREAM-INF:") {
                    if !inserted {
                        out += media
                        inserted = true
                    }
                    out.append(withSubtitlesAttribute(text, present: !tracks.isEmpty))
                } else {
                    out.append(text)
                }
            }
        }
        return out.joined(separator: "\n")
    }

    private static func mediaLines(_ tracks: [Track]) -> [String] {
        var names: Set<String> = []
        return tracks.map { track in
            // Names must differ within a group; a second "English" becomes "English (2)".
            let name = quotable(track.name)
            var unique = name
            var n = 2
            while !names.insert(unique).inserted {
                unique = "\(name) (\(n))"
                n += 1
            }
            return "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"\(groupID)\",NAME=\"\(unique)\",LANGUAGE=\"\(quotable(track.language))\","
                + "DEFAULT=NO,AUTOSELECT=YES,URI=\"\(uriText(track.uri, escapingQuote: true))\""
        }
    }

    /// An `#EXT-X-MEDIA` of the subtitle group this type writes.
    private static func isOwnRendition(_ tag: String) -> Bool {
        guard tag.hasPrefix("#EXT-X-MEDIA:") else { return false }
        let attributes = attributeList(tag.dropFirst("#EXT-X-MEDIA:".count))
        return attributes.contains("TYPE=SUBTITLES") && attributes.contains("GROUP-ID=\"\(groupID)\"")
    }

    /// The `#EXT-X-STREAM-INF` referring to this type's group (replacing any other `SUBTITLES`),
    /// or, without tracks, no longer referring to it.
    private static func withSubtitlesAttribute(_ tag: String, present: Bool) -> String {
        let prefix = "#EXT-X-STREAM-INF:"
        let own = "SUBTITLES=\"\(groupID)\""
        var attributes = attributeList(tag.dropFirst(prefix.count)).filter {
            present ? !$0.hasPrefix("SUBTITLES=") : $0 != own
        }
        if present { attributes.append(own) }
        return prefix + attributes.joined(separator: ",")
    }

    /// An attribute list split at the commas outside quoted strings (`CODECS="avc1,mp4a"`).
    private static func attributeList(_ text: Substring) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false
        for character in text {
            if character == "\"" { quoted.toggle() }
            if character == ",", !quoted {
                out.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// A value for a quoted-string, which may hold neither `"` nor a line break: quotes become
    /// apostrophes, control characters spaces (HLS forbids them anywhere in a playlist).
    static func quotable(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out.append("'")
            case "\u{FEFF}": continue
            case _ where ProviderText.isControl(scalar): out.append(" ")
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// A URI on a line of its own.
    private static func uriLine(_ uri: String) -> String { uriText(uri, escapingQuote: false) }

    /// The URI with what would break its line (and, inside quotes, its quotes) percent-encoded.
    private static func uriText(_ uri: String, escapingQuote: Bool) -> String {
        var out = ""
        for scalar in uri.unicodeScalars {
            if ProviderText.isControl(scalar) || scalar == " " || (escapingQuote && scalar == "\"") {
                for byte in String(scalar).utf8 { out += "%" + String(byte, radix: 16, uppercase: true).leftPadded() }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}
