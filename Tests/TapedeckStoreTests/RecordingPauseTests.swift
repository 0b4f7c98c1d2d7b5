import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Recording pauses in the catalog")
struct RecordingPauseTests {
    static let admin = CueRepository.Poster(actor: "api_key:test", mayReplaceOthers: true)

    @Test("pausing twice makes one stretch, resuming closes it, the recording says so", arguments: TestDatabase.all)
    func stretches(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, status: .recording, provider: "100ms")
            let recordings = catalog.pool.recordings
            #expect(recording.pauses == [] && recording.pausedAt == nil)
            let at = Date(millisecondsSince1970: 1_795_339_810_000)
            #expect(try await recordings.notePause(recording.id, paused: true, at: at))
            #expect(try await !recordings.notePause(recording.id, paused: true, at: at.addingTimeInterval(5)))
            var now = try await recordings.find(id: recording.id)!
            #expect(now.pauses == [PausedStretch(startMs: at.millisecondsSince1970)])
            #expect(now.pausedAt == at)
            #expect(try await recordings.notePause(recording.id, paused: false, at: at.addingTimeInterval(15)))
            #expect(try await !recordings.notePause(recording.id, paused: false, at: at.addingTimeInterval(20)))
            now = try await recordings.find(id: recording.id)!
            #expect(now.pauses == [PausedStretch(startMs: at.millisecondsSince1970, endMs: at.millisecondsSince1970 + 15_000)])
            #expect(now.pausedAt == nil)
            #expect(try await !recordings.notePause(UUID(), paused: true, at: at))
            // Concurrent pauses: one stretch, whoever wins.
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<6 {
                    group.addTask { try await recordings.notePause(recording.id, paused: true, at: at.addingTimeInterval(60 + Double(index))) }
                }
                var changed = 0
                for try await outcome in group where outcome { changed += 1 }
                #expect(changed == 1)
            }
            #expect(try await recordings.find(id: recording.id)!.pauses.count == 2)
        }
    }

    @Test("the pause lease: one of many takers gets it, it lapses, only its holder gives it back", arguments: TestDatabase.all)
    func lease(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, status: .recording, provider: "100ms")
            let recordings = catalog.pool.recordings
            let now: Int64 = 1_795_339_800_000
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask { try await recordings.takePauseLease(recording.id, nowMs: now, untilMs: now + 30_000 + Int64(index)) }
                }
                var taken = 0
                for try await outcome in group where outcome { taken += 1 }
                #expect(taken == 1)
            }
            #expect(try await !recordings.takePauseLease(recording.id, nowMs: now + 29_000, untilMs: now + 59_000))
            // Lapsed (its holder was killed mid-call): the next taker gets it, and the old holder's
            // late release leaves the new lease alone.
            #expect(try await recordings.takePauseLease(recording.id, nowMs: now + 40_000, untilMs: now + 70_000))
            for index in 0..<8 { try await recordings.releasePauseLease(recording.id, untilMs: now + 30_000 + Int64(index)) }
            #expect(try await !recordings.takePauseLease(recording.id, nowMs: now + 41_000, untilMs: now + 71_000))
            try await recordings.releasePauseLease(recording.id, untilMs: now + 70_000)
            #expect(try await recordings.takePauseLease(recording.id, nowMs: now + 42_000, untilMs: now + 72_000))
            #expect(try await !recordings.takePauseLease(UUID(), nowMs: now, untilMs: now + 1))
        }
    }

    @Test("past the limit, a pause is refused", arguments: [TestDatabase.sqlite])
    func limit(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, status: .recording, provider: "100ms")
            var at: Int64 = 1_795_339_800_000
            for _ in 0..<PausedStretches.maximumCount {
                #expect(try await catalog.pool.recordings.notePause(recording.id, paused: true, at: Date(millisecondsSince1970: at)))
                #expect(try await catalog.pool.recordings.notePause(recording.id, paused: false, at: Date(millisecondsSince1970: at + 10)))
                at += 100
            }
            await #expect(throws: TooManyPauses.self) {
                try await catalog.pool.recordings.notePause(recording.id, paused: true, at: Date(millisecondsSince1970: at))
            }
        }
    }

    @Test("generated: cues placed in SQL land where CueTiming puts them", arguments: TestDatabase.all)
    func placementMatchesCueTiming(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            var random = SeededRandom(seed: 0xC0E5)
            for round in 0..<6 {
                let recording = try await Fixtures.recording(catalog, room: "room-\(round)", status: .ready, provider: "100ms")
                let origin: Int64 = 1_795_339_800_000
                var pauses: [PausedStretch] = []
                var at = origin + Int64.random(in: 1_000...10_000, using: &random)
                for _ in 0..<Int.random(in: 0...5, using: &random) {
                    let length = Int64.random(in: 1...20_000, using: &random)
                    pauses.append(PausedStretch(startMs: at, endMs: at + length))
                    at += length + Int64.random(in: 1...20_000, using: &random)
                }
                if !pauses.isEmpty, Bool.random(using: &random) { pauses[pauses.count - 1].endMs = nil }
                let offset = Int64.random(in: -1_000...1_000, using: &random)
                var expected: [String: (Int64, Int64)] = [:]
                for index in 0..<60 {
                    let start = origin + Int64.random(in: 0...200_000, using: &random)
                    let end = start + Int64.random(in: 1...8_000, using: &random)
                    let cue = NewCue(
                        key: "c\(index)", kind: .captions, language: "en", timing: .wallClock(startAt: start, endAt: end), text: "x",
                        source: .live)
                    _ = try await catalog.pool.cues.upsert(
                        cue, at: CuePlacement(sessionID: recording.sessionID, recordingID: nil, startMs: nil, endMs: nil), by: Self.admin)
                    let span = CueTiming.mediaSpan(wallStartMs: start, wallEndMs: end, mediaStartedAtMs: origin, offsetMs: offset, pauses: pauses)
                    expected["c\(index)"] = span
                }
                try await catalog.pool.cues.place(
                    recordingID: recording.id, sessionID: recording.sessionID, from: origin, until: nil, offsetMs: offset, pauses: pauses)
                let placed = try await catalog.pool.cues.list(recordingID: recording.id, filter: .init(), limit: 100)
                #expect(placed.count == 60)
                for item in placed {
                    let want = expected[item.cue.key]!
                    #expect(item.cue.startMs == want.0 && item.cue.endMs == want.1, "\(item.cue.key) \(pauses)")
                }
            }
        }
    }
}
