import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("HLS subtitle playlists")
struct SubtitlePlaylistTests {
    static let english = SubtitlePlaylist.Track(name: "English", language: "en", uri: "captions/en.m3u8")
    static let spanish = SubtitlePlaylist.Track(name: "Spanish", language: "es", uri: "captions/es.m3u8")

    static let master = """
        #EXTM3U
        #EXT-X-VERSION:6
        #EXT-X-INDEPENDENT-SEGMENTS
        #EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
        720p.m3u8
        #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",SUBTITLES="old",RESOLUTION=640x360
        360p.m3u8
        #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="iframes.m3u8"

        """

    static let media = """
        #EXTM3U
        #EXT-X-VERSION:3
        #EXT-X-TARGETDURATION:4
        #EXT-X-PLAYLIST-TYPE:VOD
        #EXTINF:4.000,
        segment_00000.ts
        #EXTINF:4.000,
        segment_00001.ts
        #EXTINF:2.000,
        segment_00002.ts
        #EXT-X-ENDLIST

        """

    @Test("the media playlist serves the WebVTT file as one segment lasting the whole recording")
    func mediaPlaylist() {
        #expect(
            SubtitlePlaylist.media(vttURI: "en.vtt?sig=abc", durationMs: 12_345) == """
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-TARGETDURATION:13
                #EXT-X-MEDIA-SEQUENCE:0
                #EXT-X-PLAYLIST-TYPE:VOD
                #EXTINF:12.345,
                en.vtt?sig=abc
                #EXT-X-ENDLIST

                """)
        let exact = SubtitlePlaylist.media(vttURI: "a.vtt", durationMs: 60_000)
        #expect(exact.contains("#EXT-X-TARGETDURATION:60\n") && exact.contains("#EXTINF:60.000,\n"))
        let empty = SubtitlePlaylist.media(vttURI: "a.vtt", durationMs: -3)
        #expect(empty.contains("#EXT-X-TARGETDURATION:1\n") && empty.contains("#EXTINF:0.000,\n"))
        let short = SubtitlePlaylist.media(vttURI: "a.vtt", durationMs: 7)
        #expect(short.contains("#EXTINF:0.007,\n"))
        // A URI cannot break its line.
        #expect(SubtitlePlaylist.media(vttURI: "a\nb c.vtt", durationMs: 1).contains("\na%0Ab%20c.vtt\n"))
        let parsed = try? HLSPlaylist.parse(SubtitlePlaylist.media(vttURI: "en.vtt", durationMs: 12_345))
        #expect(parsed?.uris == ["en.vtt"] && parsed?.durationMs == 12_345 && parsed?.isMaster == false)
    }

    @Test("a multivariant playlist gains one rendition per track and every variant refers to the group")
    func addsToMaster() throws {
        let out = try SubtitlePlaylist.multivariant(Self.master, playlistURI: "unused.m3u8", totalBytes: 0, tracks: [Self.english, Self.spanish])
        #expect(
            out == """
                #EXTM3U
                #EXT-X-VERSION:6
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="captions/en.m3u8"
                #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="Spanish",LANGUAGE="es",DEFAULT=NO,AUTOSELECT=YES,URI="captions/es.m3u8"
                #EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",SUBTITLES="subs"
                720p.m3u8
                #EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,SUBTITLES="subs"
                360p.m3u8
                #EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="iframes.m3u8"

                """)
        let parsed = try HLSPlaylist.parse(out)
        #expect(parsed.isMaster)
        #expect(parsed.variants.map(\.uri) == ["720p.m3u8", "360p.m3u8"])
        #expect(parsed.uris.contains("captions/en.m3u8") && parsed.uris.contains("captions/es.m3u8"))
    }

    @Test("rewriting again replaces the renditions instead of listing them twice; no tracks, no group")
    func idempotent() throws {
        let once = try SubtitlePlaylist.multivariant(Self.master, playlistURI: "x", totalBytes: 0, tracks: [Self.english])
        let twice = try SubtitlePlaylist.multivariant(once, playlistURI: "x", totalBytes: 0, tracks: [Self.english])
        #expect(once == twice)
        let changed = try SubtitlePlaylist.multivariant(once, playlistURI: "x", totalBytes: 0, tracks: [Self.spanish])
        #expect(!changed.contains("English") && changed.components(separatedBy: "#EXT-X-MEDIA:").count == 2)
        let none = try SubtitlePlaylist.multivariant(once, playlistURI: "x", totalBytes: 0, tracks: [])
        #expect(!none.contains("SUBTITLES") && !none.contains("#EXT-X-MEDIA:"))
        // Without tracks, another group's reference is left alone.
        let untouched = try SubtitlePlaylist.multivariant(Self.master, playlistURI: "x", totalBytes: 0, tracks: [])
        #expect(untouched == Self.master)
    }

    @Test("a media playlist is wrapped: one variant whose bandwidth is the average bit rate")
    func wrapsMediaPlaylist() throws {
        let out = try SubtitlePlaylist.multivariant(
            Self.media, playlistURI: "index.m3u8?sig=1", totalBytes: 1_250_000, tracks: [Self.english])
        #expect(
            out == """
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,URI="captions/en.m3u8"
                #EXT-X-STREAM-INF:BANDWIDTH=1000000,SUBTITLES="subs"
                index.m3u8?sig=1

                """)
        let parsed = try HLSPlaylist.parse(out)
        #expect(parsed.variants.map(\.bandwidth) == [1_000_000])
        // Rounded up, never 0, and no group without tracks.
        let odd = try SubtitlePlaylist.multivariant(Self.media, playlistURI: "i.m3u8", totalBytes: 1, tracks: [])
        #expect(odd.contains("#EXT-X-STREAM-INF:BANDWIDTH=1\n") && !odd.contains("SUBTITLES"))
        let emptyMedia = "#EXTM3U\n#EXT-X-ENDLIST\n"
        let zero = try SubtitlePlaylist.multivariant(emptyMedia, playlistURI: "i.m3u8", totalBytes: 0, tracks: [Self.english])
        #expect(zero.contains("#EXT-X-STREAM-INF:BANDWIDTH=1,SUBTITLES=\"subs\"\n"))
        #expect(throws: HLSPlaylist.ParseError.notAPlaylist) {
            try SubtitlePlaylist.multivariant("<html>", playlistURI: "i.m3u8", totalBytes: 0, tracks: [])
        }
    }

    @Test("names and languages are quotable and names unique; URIs are percent-encoded where they would break")
    func quoting() throws {
        let tracks = [
            SubtitlePlaylist.Track(name: "Say \"hi\"\r\nnow", language: "en\"", uri: "a\"b.m3u8"),
            SubtitlePlaylist.Track(name: "English", language: "en", uri: "1.m3u8"),
            SubtitlePlaylist.Track(name: "English", language: "en-GB", uri: "2.m3u8"),
            SubtitlePlaylist.Track(name: "English", language: "en-US", uri: "3.m3u8"),
        ]
        let out = try SubtitlePlaylist.multivariant(Self.media, playlistURI: "i.m3u8", totalBytes: 10, tracks: tracks)
        #expect(out.contains("NAME=\"Say 'hi'  now\",LANGUAGE=\"en'\",DEFAULT=NO,AUTOSELECT=YES,URI=\"a%22b.m3u8\""))
        #expect(out.contains("NAME=\"English\",LANGUAGE=\"en\""))
        #expect(out.contains("NAME=\"English (2)\",LANGUAGE=\"en-GB\""))
        #expect(out.contains("NAME=\"English (3)\",LANGUAGE=\"en-US\""))
    }

    @Test("every hostile string as name, language or URI leaves a well-formed playlist")
    func hostile() throws {
        let tracks = HostileStrings.all.map { SubtitlePlaylist.Track(name: $0, language: $0, uri: $0) }
        for base in [Self.master, Self.media] {
            let out = try SubtitlePlaylist.multivariant(base, playlistURI: "i\r\n.m3u8", totalBytes: 1_000, tracks: tracks)
            let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(!out.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value) })
            let media = lines.filter { $0.hasPrefix("#EXT-X-MEDIA:") }
            #expect(media.count == tracks.count)
            var names: Set<String> = []
            for line in media {
                // Exactly the quotes of the four quoted attributes: none inside a value.
                #expect(line.filter { $0 == "\"" }.count == 8, "\(line)")
                let name = line.components(separatedBy: "NAME=\"")[1].prefix { $0 != "\"" }
                #expect(names.insert(String(name)).inserted)
            }
            let parsed = try HLSPlaylist.parse(out)
            #expect(parsed.isMaster && parsed.uris.count >= tracks.count + 1)
        }
    }
}
