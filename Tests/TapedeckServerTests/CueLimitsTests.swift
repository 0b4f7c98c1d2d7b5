import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TapedeckCore
import TapedeckRecording
@testable import TapedeckServer
import TapedeckStore
import TestSupport

/// How many cues one poster keeps, and how many tracks a recording or session has, are capped: a
/// batch that would pass a cap is refused whole with a 409 naming it, and changes nothing.
@Suite("Cue limits")
struct CueLimitsTests {
    static let limits = ["TAPEDECK_MAX_CUES_PER_POSTER": "3", "TAPEDECK_MAX_CUE_TRACKS": "2"]

    static func batch(_ cues: [(key: String, language: String, text: String)]) -> ByteBuffer {
        let items = cues.enumerated().map { index, cue in
            ["cue_key": cue.key, "language": cue.language, "start_ms": index * 1000, "end_ms": index * 1000 + 900, "text": cue.text]
                as [String: Any]
        }
        return ByteBuffer(data: try! JSONSerialization.data(withJSONObject: ["cues": items]))
    }

    static func post(
        _ client: some TestClientProtocol, _ app: TestApp, _ recording: Recording, _ cues: [(key: String, language: String, text: String)]
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/recordings/\(recording.id.uuidString.lowercased())/cues", method: .post,
            headers: app.authorization + [.contentType: "application/json"], body: batch(cues))
    }

    static func stored(_ app: TestApp, _ recording: Recording) async throws -> [String] {
        try await app.catalog.pool.cues.list(recordingID: recording.id, filter: .init(includeInterim: true), limit: 100)
            .map { "\($0.cue.language)/\($0.cue.key)" }.sorted()
    }

    @Test("a poster's cues per recording: the batch past the cap is refused whole; updates at the cap still go", arguments: TestDatabase.all)
    func cuesPerPoster(database: TestDatabase) async throws {
        try await TestApp.with(database, settingValues: Self.limits) { app, client in
            let recording = try await Fixtures.recording(app.catalog, room: "lecture")
            let hostile = HostileStrings.all.filter { !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } }
            let first = try await Self.post(client, app, recording, [("a", "en", hostile[0]), ("b", "en", "two")])
            #expect(first.status == .ok)
            // One more fits; two more do not, and neither is stored.
            let over = try await Self.post(client, app, recording, [("c", "en", "three"), ("d", "en", "four")])
            #expect(over.status == .conflict && over.errorCode == "cue_limit_reached" && over.errorField == "cues")
            let message = try #require((over.object["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("3") && message.contains("TAPEDECK_MAX_CUES_PER_POSTER"))
            #expect(try await Self.stored(app, recording) == ["en/a", "en/b"])
            #expect(try await Self.post(client, app, recording, [("c", "en", hostile[1 % hostile.count])]).status == .ok)
            // At the cap, a retry or a correction of a cue already kept is taken.
            let retry = try await Self.post(client, app, recording, [("a", "en", "corrected"), ("c", "en", "again")])
            #expect(retry.status == .ok)
            #expect(try await Self.post(client, app, recording, [("e", "en", "five")]).errorCode == "cue_limit_reached")
            #expect(try await Self.stored(app, recording) == ["en/a", "en/b", "en/c"])
        }
    }

    @Test("tracks per recording: a batch adding a track past the cap is refused whole", arguments: TestDatabase.all)
    func tracksPerRecording(database: TestDatabase) async throws {
        try await TestApp.with(database, settingValues: ["TAPEDECK_MAX_CUE_TRACKS": "2"]) { app, client in
            let recording = try await Fixtures.recording(app.catalog, room: "lecture")
            #expect(try await Self.post(client, app, recording, [("en-1", "en", "one"), ("es-1", "es", "uno")]).status == .ok)
            let third = try await Self.post(client, app, recording, [("en-2", "en", "two"), ("fr-1", "fr", "un")])
            #expect(third.status == .conflict && third.errorCode == "track_limit_reached" && third.errorField == "cues")
            let message = try #require((third.object["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("2") && message.contains("TAPEDECK_MAX_CUE_TRACKS"))
            #expect(try await Self.stored(app, recording) == ["en/en-1", "es/es-1"])
            // More cues on tracks it has are fine.
            #expect(try await Self.post(client, app, recording, [("en-2", "en", "two"), ("es-2", "es", "dos")]).status == .ok)
        }
    }

    static func upload(
        _ client: some TestClientProtocol, _ app: TestApp, _ recording: Recording, language: String, kind: String = "captions",
        lines: [String]
    ) async throws -> TestResponse {
        var file = "WEBVTT\n"
        for (index, line) in lines.enumerated() {
            file += "\n00:00:0\(index).000 --> 00:00:0\(index).900\n\(line)\n"
        }
        return try await client.execute(
            uri: "/v1/recordings/\(recording.id.uuidString.lowercased())/captions?language=\(language)&kind=\(kind)", method: .post,
            headers: app.authorization + [.contentType: "text/vtt"], body: ByteBuffer(string: file))
    }

    @Test("caption files count against the tracks per recording like posted cues; a new file for a track it has does not", arguments: TestDatabase.all)
    func captionUploads(database: TestDatabase) async throws {
        try await TestApp.with(database, settingValues: ["TAPEDECK_MAX_CUE_TRACKS": "2"]) { app, client in
            let recording = try await Fixtures.recording(app.catalog, room: "lecture")
            #expect(try await Self.post(client, app, recording, [("en-1", "en", "one")]).status == .ok)
            #expect(try await Self.upload(client, app, recording, language: "es", lines: ["uno", "dos"]).status == .ok)
            let before = try await Self.stored(app, recording)
            #expect(before.count == 3)
            // A third track, by file: refused like a batch, naming the language that would add it.
            let third = try await Self.upload(client, app, recording, language: "fr", lines: ["un"])
            #expect(third.status == .conflict && third.errorCode == "track_limit_reached" && third.errorField == "language")
            let message = try #require((third.object["error"] as? [String: Any])?["message"] as? String)
            #expect(message.contains("2") && message.contains("TAPEDECK_MAX_CUE_TRACKS"))
            // Another kind is another track too.
            let subtitles = try await Self.upload(client, app, recording, language: "en", kind: "subtitles", lines: ["one"])
            #expect(subtitles.status == .conflict && subtitles.errorCode == "track_limit_reached")
            #expect(try await Self.stored(app, recording) == before)
            // Replacing the file of a track it has, and a file for the posted track, are fine.
            #expect(try await Self.upload(client, app, recording, language: "es", lines: ["uno corregido"]).status == .ok)
            #expect(try await Self.upload(client, app, recording, language: "en", lines: ["one", "two"]).status == .ok)
            #expect(try await Self.stored(app, recording).count == 4)
            // And a posted cue cannot add the third track the files were refused.
            let posted = try await Self.post(client, app, recording, [("fr-1", "fr", "un")])
            #expect(posted.errorCode == "track_limit_reached" && posted.errorField == "cues")
        }
    }

    @Test("a caption file refused at the track limit stores nothing, through the import's own function", arguments: TestDatabase.all)
    func replaceTrackLimit(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, room: "lecture")
            func file(_ language: String) throws -> [NewCue] {
                try CaptionFileImport.cues(
                    Array("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nline\n".utf8), kind: .captions, language: LanguageTag(language)!,
                    source: .upload)
            }
            func replace(_ language: String, limit: Int?) async throws -> Int {
                try await CaptionFileImport.replaceTrack(
                    try file(language), recordingID: recording.id, kind: .captions, language: LanguageTag(language)!, source: .upload,
                    actor: "cli", trackLimit: limit, catalog: catalog)
            }
            #expect(try await replace("en", limit: 1) == 1)
            #expect(try await replace("en", limit: 1) == 1)
            await #expect(throws: CueIngest.Failure.tooManyTracks(limit: 1)) { try await replace("es", limit: 1) }
            #expect(try await catalog.pool.cues.tracks(recordingID: recording.id).map(\.language) == ["en"])
            // Without a limit (the provider's own transcript), the track is added.
            #expect(try await replace("es", limit: nil) == 1)
            #expect(try await catalog.pool.cues.tracks(recordingID: recording.id).count == 2)
        }
    }

    @Test("caption files racing for the last free track: one gets it, the rest are refused (the count holds the scope's lock)", arguments: TestDatabase.all)
    func racingForTheLastTrack(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            for round in 0..<6 {
                let recording = try await Fixtures.recording(catalog, room: "race-\(round)")
                func replace(_ language: String) async throws -> Int {
                    try await CaptionFileImport.replaceTrack(
                        try CaptionFileImport.cues(
                            Array("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nline\n".utf8), kind: .captions,
                            language: LanguageTag(language)!, source: .upload),
                        recordingID: recording.id, kind: .captions, language: LanguageTag(language)!, source: .upload,
                        actor: "cli", trackLimit: 2, catalog: catalog)
                }
                _ = try await replace("en")
                let languages = ["es", "fr", "de", "it", "pt", "nl"]
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for language in languages { group.addTask { (try? await replace(language)) != nil } }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                let tracks = try await catalog.pool.cues.tracks(recordingID: recording.id)
                #expect(tracks.count == 2, "round \(round): \(tracks.map(\.language))")
                #expect(outcomes.filter { $0 }.count == 1, "round \(round): \(outcomes)")
            }
        }
    }

    @Test("live cues: a poster's cues and the tracks are counted per session", arguments: TestDatabase.all)
    func live(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, room: "live", status: .recording)
            let ingest = CueIngest(catalog: catalog, limits: CueLimits(cuesPerPoster: 2, tracks: 1))
            let now = catalog.clock.now().millisecondsSince1970
            func cue(_ key: String, _ language: String = "en") -> NewCue {
                NewCue(key: key, kind: .captions, language: language, timing: .wallClock(startAt: now, endAt: now + 900), text: key, source: .live)
            }
            let ada = CueRepository.Poster(actor: "viewer:ada", mayReplaceOthers: false)
            let grace = CueRepository.Poster(actor: "viewer:grace", mayReplaceOthers: false)
            _ = try await ingest.ingestLive(roomID: recording.roomID, cues: [cue("a1"), cue("a2")], poster: ada, viewerIdentity: nil)
            await #expect(throws: CueIngest.Failure.tooManyCues(limit: 2)) {
                try await ingest.ingestLive(roomID: recording.roomID, cues: [cue("a3")], poster: ada, viewerIdentity: nil)
            }
            // Another poster has a count of their own; the session's one track is theirs too.
            _ = try await ingest.ingestLive(roomID: recording.roomID, cues: [cue("g1")], poster: grace, viewerIdentity: nil)
            await #expect(throws: CueIngest.Failure.tooManyTracks(limit: 1)) {
                try await ingest.ingestLive(roomID: recording.roomID, cues: [cue("g2", "es")], poster: grace, viewerIdentity: nil)
            }
        }
    }
}
