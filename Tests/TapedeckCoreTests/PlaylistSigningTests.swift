import Foundation
import Testing
import TapedeckCore

@Suite("Signing HLS playlists")
struct PlaylistSigningTests {
    static let key = "math-101/math-101_2026-11-22_09-30-00/index.m3u8"
    static let folder = "math-101/math-101_2026-11-22_09-30-00/"

    /// A stand-in signer: what matters here is which keys get signed and where URLs land.
    static func sign(_ keys: [String: String]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: Set(keys.values).map { ($0, "https://signed.example/\($0)?sig=x") })
    }

    static func signed(_ text: String) throws -> String {
        let playlist = try HLSPlaylist.parse(text)
        return PlaylistSigning.rewrite(
            playlist, playlistKey: key, signedURLs: sign(PlaylistSigning.objectKeys(of: playlist, playlistKey: key)))
    }

    @Test func transportStreamSegmentsAreEachSigned() throws {
        let text = """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:6
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXTINF:6.000000,
            segment_00000.ts
            #EXTINF:4.500000,
            segment_00001.ts
            #EXT-X-ENDLIST
            """
        #expect(try Self.signed(text) == """
            #EXTM3U
            #EXT-X-VERSION:3
            #EXT-X-TARGETDURATION:6
            #EXT-X-PLAYLIST-TYPE:VOD
            #EXTINF:6.000000,
            https://signed.example/\(Self.folder)segment_00000.ts?sig=x
            #EXTINF:4.500000,
            https://signed.example/\(Self.folder)segment_00001.ts?sig=x
            #EXT-X-ENDLIST
            """)
    }

    @Test func fmp4InitSegmentsInMapTagsAreSigned() throws {
        let text = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:6.0,\nseg_000.m4s\n#EXT-X-ENDLIST\n"
        let out = try Self.signed(text)
        #expect(out.contains("#EXT-X-MAP:URI=\"https://signed.example/\(Self.folder)init.mp4?sig=x\"\n"))
        #expect(out.contains("\nhttps://signed.example/\(Self.folder)seg_000.m4s?sig=x\n"))
        #expect(out.hasSuffix("#EXT-X-ENDLIST\n"))
    }

    @Test func byteRangesOfOneFileShareOneSignedURLAndKeepTheirTags() throws {
        let text = """
            #EXTM3U
            #EXT-X-VERSION:4
            #EXT-X-MAP:URI="all.mp4",BYTERANGE="720@0"
            #EXTINF:6.0,
            #EXT-X-BYTERANGE:100000@720
            all.mp4
            #EXTINF:6.0,
            #EXT-X-BYTERANGE:90000
            all.mp4
            #EXT-X-ENDLIST
            """
        let playlist = try HLSPlaylist.parse(text)
        #expect(Set(PlaylistSigning.objectKeys(of: playlist, playlistKey: Self.key).values) == [Self.folder + "all.mp4"])
        let out = try Self.signed(text)
        #expect(out.contains("#EXT-X-MAP:URI=\"https://signed.example/\(Self.folder)all.mp4?sig=x\",BYTERANGE=\"720@0\""))
        #expect(out.contains("#EXT-X-BYTERANGE:100000@720\nhttps://signed.example/"))
        #expect(out.contains("#EXT-X-BYTERANGE:90000\nhttps://signed.example/"))
    }

    @Test func relativePathsResolveAgainstThePlaylist() {
        #expect(PlaylistSigning.objectKey(uri: "a/b.ts", playlistKey: Self.key) == Self.folder + "a/b.ts")
        #expect(PlaylistSigning.objectKey(uri: "./b.ts?x=1#t", playlistKey: Self.key) == Self.folder + "b.ts")
        #expect(PlaylistSigning.objectKey(uri: "../other/b.ts", playlistKey: Self.key) == "math-101/other/b.ts")
        #expect(PlaylistSigning.objectKey(uri: "seg%20one.ts", playlistKey: Self.key) == Self.folder + "seg one.ts")
        #expect(PlaylistSigning.objectKey(uri: "b.ts", playlistKey: "index.m3u8") == "b.ts")
    }

    @Test func urisOutsideTheStoreAreLeftAlone() throws {
        for uri in ["https://cdn.example/a.ts", "http://x/y.ts", "/absolute/a.ts", "//host/a.ts", "data:,x",
                    "../../../etc/passwd", "../../.."] {
            #expect(PlaylistSigning.objectKey(uri: uri, playlistKey: Self.key) == nil, "\(uri)")
        }
        let text = "#EXTM3U\n#EXTINF:6,\nhttps://cdn.example/a.ts\n#EXTINF:6,\nlocal.ts\n"
        let out = try Self.signed(text)
        #expect(out.contains("\nhttps://cdn.example/a.ts\n"))
        #expect(out.contains("\nhttps://signed.example/\(Self.folder)local.ts?sig=x"))
    }

    @Test func unsignedKeysStayAsTheyWere() throws {
        let playlist = try HLSPlaylist.parse("#EXTM3U\n#EXTINF:6,\na.ts\n")
        #expect(PlaylistSigning.rewrite(playlist, playlistKey: Self.key, signedURLs: [:]) == "#EXTM3U\n#EXTINF:6,\na.ts\n")
    }
}

@Suite("Playlist signing confined to the recording's folder")
struct ConfinedPlaylistSigningTests {
    @Test("only segments inside the recording's folder are signed; everything else names nothing")
    func confined() throws {
        let text = """
            #EXTM3U
            #EXT-X-TARGETDURATION:6
            #EXTINF:6.0,
            segment_00000.ts
            #EXTINF:6.0,
            ../other/segment_00000.ts
            #EXTINF:6.0,
            ../../../other-room/s/abcd1234/segment_00001.ts
            #EXTINF:6.0,
            file:///etc/passwd
            #EXTINF:6.0,
            https://elsewhere.example/x.ts
            #EXT-X-ENDLIST
            """
        let playlist = try HLSPlaylist.parse(text)
        let key = "room/room_2026-12-01_09-00-00/0a1b2c3d/index.m3u8"
        let keys = PlaylistSigning.objectKeys(of: playlist, playlistKey: key, within: "room/room_2026-12-01_09-00-00/0a1b2c3d/")
        #expect(keys == ["room/room_2026-12-01_09-00-00/0a1b2c3d/segment_00000.ts"])
        let out = PlaylistSigning.confined(playlist, playlistKey: key, signedURLs: [keys[0]: "https://signed/0"])
        let uris = out.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(uris == ["https://signed/0", "unavailable", "unavailable", "unavailable", "unavailable"])
    }
}
