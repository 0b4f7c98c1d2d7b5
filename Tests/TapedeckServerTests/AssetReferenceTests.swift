import Foundation
import HummingbirdTesting
import NIOCore
import TapedeckCore
import Testing
import TestSupport

@testable import TapedeckServer

@Suite("Which asset a signed link names")
struct AssetReferenceTests {
    static func asset(_ id: Int64, _ kind: AssetKind) -> Asset {
        Asset(id: id, recordingID: UUID(), kind: kind, key: "r/\(id)", contentType: "x", sizeBytes: nil, durationMs: nil, sha256: nil,
              createdAt: Date(timeIntervalSince1970: 0))
    }

    @Test("ids and positions parse; anything else is no reference")
    func parsing() {
        #expect(AssetReference("a57") == .id(57))
        #expect(AssetReference("a0") == .id(0))
        #expect(AssetReference("3") == .position(3))
        #expect(AssetReference("999") == .position(999))
        for bad in ["", "a", "a-1", "-1", "+3", "a+3", "1000", "a99999999999999999999", "３", "a٣", "3 ", "a5b", "0x1", "007", "a07"] {
            #expect(AssetReference(Substring(bad)) == nil, "\(bad)")
        }
        // Whatever parses is written back exactly as it came: one spelling per link.
        for text in HostileStrings.all {
            if let parsed = AssetReference(Substring(text)) { #expect(parsed.description == text) }
        }
    }

    @Test("the two forms never write the same text, so they never share a signature")
    func distinctText() {
        for n in 0..<1000 {
            #expect(AssetReference.id(Int64(n)).description != AssetReference.position(n).description)
            #expect(AssetReference(Substring(AssetReference.id(Int64(n)).description)) == .id(Int64(n)))
            #expect(AssetReference(Substring(AssetReference.position(n).description)) == .position(n))
        }
    }

    @Test("an id finds its asset wherever it sits; a gone id finds nothing")
    func resolving() {
        let assets = [Self.asset(10, .mp4), Self.asset(12, .summary), Self.asset(15, .chat)]
        #expect(AssetReference.id(12).resolve(in: assets)?.kind == .summary)
        #expect(AssetReference.id(12).resolve(in: Array(assets.dropFirst()))?.kind == .summary)
        #expect(AssetReference.id(11).resolve(in: assets) == nil)
        #expect(AssetReference.position(2).resolve(in: assets)?.kind == .chat)
        #expect(AssetReference.position(3).resolve(in: assets) == nil)
    }

    /// What a rolling restart needs: a playlist link signed by the previous release (a position)
    /// still plays, as does one by id; a position or id of another kind of file does not.
    @Test("playlist links by position (previous release) and by id both play", arguments: TestDatabase.all)
    func legacyPlaylistLinks(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let recording = try await Fixtures.recording(app.catalog, room: "math", assets: [(.mp4, "session.mp4"), (.hls, "index.m3u8")])
            let playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\nsegment_00000.ts\n#EXT-X-ENDLIST\n"
            _ = try await app.store.put(
                try .init(recording.keyPrefix + "index.m3u8"), body: [ByteBuffer(string: playlist)].async, contentType: nil)
            _ = try await app.store.put(
                try .init(recording.keyPrefix + "segment_00000.ts"), body: [ByteBuffer(string: "ts")].async, contentType: nil)
            let hls = try #require(recording.assets.firstIndex { $0.kind == .hls })
            let mp4 = try #require(recording.assets.firstIndex { $0.kind == .mp4 })
            let keys = app.dependencies.playback
            let expires = Int64(app.clock.now().timeIntervalSince1970) + 600
            for reference in [AssetReference.position(hls), AssetReference(recording.assets[hls])] {
                let answer = try await client.execute(
                    uri: keys.playlistPath(recordingID: recording.id, asset: reference, expires: expires), method: .get)
                #expect(answer.status == .ok, "\(reference)")
                #expect(String(buffer: answer.body).contains("segment_00000.ts?"), "\(reference): the segment is signed")
            }
            for reference in [AssetReference.position(mp4), AssetReference(recording.assets[mp4]), .id(recording.assets[hls].id + 1000)] {
                let answer = try await client.execute(
                    uri: keys.playlistPath(recordingID: recording.id, asset: reference, expires: expires), method: .get)
                #expect(answer.status == .notFound, "\(reference)")
            }
        }
    }
}
