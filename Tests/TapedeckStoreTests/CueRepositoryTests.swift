import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Cue repository")
struct CueRepositoryTests {
    static let admin = CueRepository.Poster(actor: "api_key:test", mayReplaceOthers: true)

    static func live(_ key: String, _ startAt: Int64, _ text: String = "hello", final: Bool = true, language: String = "en") -> NewCue {
        NewCue(
            key: key, kind: .captions, language: language, timing: .wallClock(startAt: startAt, endAt: startAt + 1000), text: text,
            source: .live, isFinal: final)
    }

    static func count(_ catalog: Catalog) async throws -> Int {
        try await catalog.pool.sql.raw("SELECT COUNT(*) AS n FROM cues").first()!.decode(column: "n", as: Int.self)
    }

    @Test("a key is one cue: retries update it, a late interim never replaces a final", arguments: TestDatabase.all)
    func idempotentByKey(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let placement = CuePlacement(sessionID: recording.sessionID, recordingID: recording.id, startMs: 10, endMs: 20)
            let cues = catalog.pool.cues
            #expect(try await cues.upsert(Self.live("k", 0, "hel", final: false), at: placement, by: Self.admin) == .inserted)
            #expect(try await cues.upsert(Self.live("k", 0, "hello"), at: placement, by: Self.admin) == .updated)
            #expect(try await cues.upsert(Self.live("k", 0, "hel", final: false), at: placement, by: Self.admin) == .keptFinal)
            #expect(try await cues.upsert(Self.live("k", 0, "hello!"), at: placement, by: Self.admin) == .updated)
            let listed = try await cues.list(recordingID: recording.id, filter: .init(), limit: 10)
            #expect(listed.map(\.cue.text) == ["hello!"])
            #expect(try await Self.count(catalog) == 1)
            // The same key in another language is another cue.
            #expect(try await cues.upsert(Self.live("k", 0, "hola", language: "es"), at: placement, by: Self.admin) == .inserted)
        }
    }

    @Test("concurrent posts of one key leave one cue and no error", arguments: TestDatabase.all)
    func concurrentKeys(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let placement = CuePlacement(sessionID: recording.sessionID, recordingID: nil, startMs: nil, endMs: nil)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        _ = try await catalog.transaction { tx in
                            try await tx.cues.upsert(Self.live("same", 5, "v\(index)"), at: placement, by: Self.admin)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await Self.count(catalog) == 1)
        }
    }

    @Test("held cues are placed by media start and offset; outside ones stay held", arguments: TestDatabase.all)
    func placement(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let held = CuePlacement(sessionID: recording.sessionID, recordingID: nil, startMs: nil, endMs: nil)
            let cues = catalog.pool.cues
            _ = try await cues.upsert(Self.live("before", 1_000), at: held, by: Self.admin)  // ends at 2,000: before the media
            _ = try await cues.upsert(Self.live("overlap", 4_500), at: held, by: Self.admin)  // ends at 5,500: overlaps its start
            _ = try await cues.upsert(Self.live("inside", 9_000), at: held, by: Self.admin)
            _ = try await cues.upsert(Self.live("after", 30_000), at: held, by: Self.admin)
            try await cues.place(recordingID: recording.id, sessionID: recording.sessionID, from: 5_000, until: 20_000, offsetMs: 0)
            var placed = try await cues.list(recordingID: recording.id, filter: .init(), limit: 10)
            #expect(placed.map(\.cue.key) == ["overlap", "inside"])
            #expect(placed.map(\.cue.startMs) == [0, 4_000])
            #expect(placed.map(\.cue.endMs) == [500, 5_000])
            // A new offset moves them; placing again is idempotent.
            for _ in 0..<2 {
                try await cues.place(recordingID: recording.id, sessionID: recording.sessionID, from: 5_000, until: 20_000, offsetMs: 1_500)
            }
            placed = try await cues.list(recordingID: recording.id, filter: .init(), limit: 10)
            #expect(placed.map(\.cue.startMs) == [1_000, 5_500])
            #expect(try await Self.count(catalog) == 4)  // nothing lost: before and after are still held
        }
    }

    @Test("a live cue landing on a key uploaded to the recording updates it", arguments: TestDatabase.all)
    func liveOnUploadedKey(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let cues = catalog.pool.cues
            let upload = NewCue(key: "k", kind: .captions, language: "en", timing: .media(startMs: 0, endMs: 10), text: "a", source: .upload)
            _ = try await cues.upsert(upload, at: CuePlacement(sessionID: nil, recordingID: recording.id, startMs: 0, endMs: 10), by: Self.admin)
            let outcome = try await cues.upsert(
                Self.live("k", 0, "b"), at: CuePlacement(sessionID: recording.sessionID, recordingID: recording.id, startMs: 5, endMs: 6), by: Self.admin)
            #expect(outcome == .updated)
            #expect(try await cues.list(recordingID: recording.id, filter: .init(), limit: 10).map(\.cue.text) == ["b"])
        }
    }

    @Test("search: every word, ready recordings only, a viewer's own sessions only, hostile queries harmless",
          arguments: TestDatabase.all)
    func search(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let mine = try await Fixtures.recording(catalog, room: "algebra")
            let other = try await Fixtures.recording(catalog, room: "secret")
            let processing = try await Fixtures.recording(catalog, room: "algebra", status: .processing)
            try await catalog.pool.participants.join(sessionID: mine.sessionID!, identity: "ada", name: "Ada", isHost: false, at: Date())
            for recording in [mine, other, processing] {
                let at = CuePlacement(sessionID: nil, recordingID: recording.id, startMs: 1_000, endMs: 2_000)
                _ = try await catalog.pool.cues.upsert(
                    NewCue(key: "a", kind: .captions, language: "en", timing: .media(startMs: 1_000, endMs: 2_000),
                           text: "Recursion explained with trees", source: .upload), at: at, by: Self.admin)
            }
            let search = catalog.pool.cues
            #expect(Set(try await search.search(CueSearch(text: "recursion trees"), offset: 0, limit: 10).map(\.recordingID))
                == [mine.id, other.id])
            #expect(try await search.search(CueSearch(text: "recursion loops"), offset: 0, limit: 10).isEmpty)
            #expect(try await search.search(CueSearch(text: "recursion", participantIdentity: "ada"), offset: 0, limit: 10)
                .map(\.recordingID) == [mine.id])
            #expect(try await search.search(CueSearch(text: "recursion", participantIdentity: "mallory"), offset: 0, limit: 10).isEmpty)
            #expect(try await search.search(CueSearch(text: "recursion", roomName: "secret"), offset: 0, limit: 10)
                .map(\.recordingID) == [other.id])
            for query in HostileStrings.all where !query.unicodeScalars.contains(where: { $0.value == 0 }) {
                _ = try await search.search(CueSearch(text: query), offset: 0, limit: 5)
                _ = try await search.list(recordingID: mine.id, filter: .init(text: query), limit: 5)
            }
        }
    }

    @Test("a participant cannot replace someone else's cue; an API key can", arguments: TestDatabase.all)
    func postersOwnTheirCues(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let at = CuePlacement(sessionID: recording.sessionID, recordingID: recording.id, startMs: 0, endMs: 10)
            let ada = CueRepository.Poster(actor: "viewer:ada", mayReplaceOthers: false)
            let mallory = CueRepository.Poster(actor: "viewer:mallory", mayReplaceOthers: false)
            let cues = catalog.pool.cues
            _ = try await cues.upsert(Self.live("k", 0, "teacher's line"), at: at, by: Self.admin)
            #expect(try await cues.upsert(Self.live("k", 0, "defaced"), at: at, by: mallory) == .notYours)
            _ = try await cues.upsert(Self.live("mine", 0, "v1"), at: at, by: ada)
            #expect(try await cues.upsert(Self.live("mine", 0, "v2"), at: at, by: ada) == .updated)
            #expect(try await cues.upsert(Self.live("mine", 0, "x"), at: at, by: mallory) == .notYours)
            #expect(try await cues.upsert(Self.live("mine", 0, "fixed"), at: at, by: Self.admin) == .updated)
            #expect(Set(try await cues.list(recordingID: recording.id, filter: .init(), limit: 10).map(\.cue.text)) == ["teacher's line", "fixed"])
        }
    }

    @Test("a key held on the session and uploaded to the recording merges into one cue on a re-post", arguments: TestDatabase.all)
    func heldAndUploadedKeyMerge(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let cues = catalog.pool.cues
            _ = try await cues.upsert(
                Self.live("utt-1", 0), at: CuePlacement(sessionID: recording.sessionID, recordingID: nil, startMs: nil, endMs: nil),
                by: Self.admin)
            let upload = NewCue(key: "utt-1", kind: .captions, language: "en", timing: .media(startMs: 0, endMs: 10), text: "u", source: .upload)
            _ = try await cues.upsert(upload, at: CuePlacement(sessionID: nil, recordingID: recording.id, startMs: 0, endMs: 10), by: Self.admin)
            let outcome = try await cues.upsert(
                Self.live("utt-1", 0, "final"),
                at: CuePlacement(sessionID: recording.sessionID, recordingID: recording.id, startMs: 5, endMs: 6), by: Self.admin)
            #expect(outcome == .updated)
            #expect(try await Self.count(catalog) == 1)
            #expect(try await cues.list(recordingID: recording.id, filter: .init(), limit: 10).map(\.cue.text) == ["final"])
        }
    }

    @Test("a live cue re-posted outside every recording is held again, not lost", arguments: TestDatabase.all)
    func repostOutsideIsHeld(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let cues = catalog.pool.cues
            _ = try await cues.upsert(
                Self.live("k", 10_000), at: CuePlacement(sessionID: recording.sessionID, recordingID: recording.id, startMs: 5, endMs: 6),
                by: Self.admin)
            _ = try await cues.upsert(
                Self.live("k", 99_000), at: CuePlacement(sessionID: recording.sessionID, recordingID: nil, startMs: nil, endMs: nil),
                by: Self.admin)
            #expect(try await cues.list(recordingID: recording.id, filter: .init(), limit: 10).isEmpty)
            let held = try await catalog.pool.sql.raw("SELECT COUNT(*) AS n FROM cues WHERE recording_id IS NULL AND session_id IS NOT NULL")
                .first()!.decode(column: "n", as: Int.self)
            #expect(held == 1)
        }
    }
}
