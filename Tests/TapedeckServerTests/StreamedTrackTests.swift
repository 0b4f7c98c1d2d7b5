import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TapedeckCore
@testable import TapedeckServer
import TapedeckStore
import TestSupport

/// A track longer than a page is read a page at a time (keyset by start and row) and written as
/// it is read: the answer has no length up front, and is the document written whole.
@Suite("Text tracks streamed in pages")
struct StreamedTrackTests {
    @Test("WebVTT and JSON of a track of several pages, ties at page edges: streamed, complete, in order", arguments: TestDatabase.all)
    func streamed(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            // setup: seven cues to a start, so that pages end inside a run of equal starts.
            let recording = try await Fixtures.recording(app.catalog, room: "lecture")
            let count = 2 * TrackPages.pageSize + 345
            let poster = CueRepository.Poster(actor: "key:test", mayReplaceOthers: true)
            let cues = (0..<count).map { i in
                let start = Int64(i / 7) * 1000
                return Cue(
                    key: "c-" + String(repeating: "0", count: 5 - String(i).count) + String(i), kind: .captions, language: "en",
                    startMs: start, endMs: start + 900, text: i % 100 == 0 ? "line <\(i)> & more" : "line \(i)",
                    speaker: i % 3 == 0 ? "Ada" : nil, source: .upload)
            }
            try await app.catalog.transaction { tx in
                for cue in cues {
                    let new = NewCue(
                        key: cue.key, kind: cue.kind, language: cue.language, timing: .media(startMs: cue.startMs, endMs: cue.endMs),
                        text: cue.text, speaker: cue.speaker, source: cue.source)
                    let placement = CuePlacement(sessionID: nil, recordingID: recording.id, startMs: cue.startMs, endMs: cue.endMs)
                    let outcome = try await tx.cues.upsert(new, at: placement, by: poster)
                    #expect(outcome == .inserted)
                }
            }
            let listed = try await client.execute(
                uri: "/v1/recordings/\(recording.id.uuidString.lowercased())/text-tracks", method: .get, headers: app.authorization)
            let tracks = try #require(try JSONSerialization.jsonObject(with: Data(buffer: listed.body)) as? [[String: Any]])
            let track = try #require(tracks.first)
            #expect(track["cue_count"] as? Int == count)

            // action
            let vtt = try await client.execute(uri: try Self.pathAndQuery(track["url"]), method: .get)
            let json = try await client.execute(uri: try Self.pathAndQuery(track["cues_url"]), method: .get)

            // check: no length up front (written as read), and exactly the whole documents.
            #expect(vtt.status == .ok && json.status == .ok)
            #expect(vtt.headers[.contentLength] == nil && json.headers[.contentLength] == nil)
            #expect(vtt.text == WebVTTWriter.document(cues))
            var whole = JSONWriter()
            TrackCues(cues: cues).write(to: &whole)
            #expect(json.text == String(decoding: whole.bytes, as: UTF8.self))
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(buffer: json.body)) as? [String: Any])
            let keys = (parsed["cues"] as? [[String: Any]] ?? []).compactMap { $0["cue_key"] as? String }
            #expect(keys == cues.map(\.key))
        }
    }

    @Test("an empty track is a WebVTT header and an empty list", arguments: TestDatabase.all)
    func empty(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let recording = try await Fixtures.recording(app.catalog, room: "quiet")
            let first = try await app.catalog.pool.cues.trackPage(
                recordingID: recording.id, kind: .captions, language: "en", limit: TrackPages.pageSize)
            #expect(first.cues.isEmpty && first.next == nil)
            var stream = TrackCues.Stream()
            let bytes = stream.append(first.cues) + stream.finish()
            #expect(String(decoding: bytes, as: UTF8.self) == #"{"cues":[]}"#)
        }
    }

    static func pathAndQuery(_ url: Any?) throws -> String {
        let link = try #require(url as? String)
        let components = try #require(URLComponents(string: link))
        return components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
    }
}
