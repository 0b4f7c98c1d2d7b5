import Foundation
import HMS
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// Pauses and resumes with 100ms answering slowly, at once, or for several recordings.
@Suite("100ms pauses: order, timing, rooms")
struct HMSPauseOrderTests {
    static let actor = "api_key:test"

    /// Waits (in real time) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }

    @Test func aResumeSentWhileThePauseIsWith100msIsRefusedAndTheStretchFollowsTheOrderApplied() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "race")
            let recording = try #require(try await flow.recordings("race").first)
            let gate = Gate()
            flow.api.beforePauseAnswers { paused in if paused { await gate.wait() } }
            let pause = Task { try await flow.recorder.setPaused(true, recording: recording, actor: Self.actor) }
            try await Self.eventually { flow.api.pauseRequests.count == 1 }
            // Sent while the pause is unanswered (from this instance or another on the catalog):
            // refused before it reaches 100ms, whose answer it could otherwise overtake.
            await #expect(throws: RecordingPauseError.inProgress) {
                try await flow.recorder.setPaused(false, recording: recording, actor: Self.actor)
            }
            await #expect(throws: RecordingPauseError.inProgress) {
                try await flow.recorder.setPaused(true, recording: recording, actor: Self.actor)
            }
            #expect(flow.api.pauseRequests.count == 1)
            gate.open()
            try await pause.value
            flow.api.beforePauseAnswers { _ in }
            var now = try #require(try await flow.recordings("race").first)
            #expect(now.pausedAt != nil)
            flow.clock.advance(by: 30)
            try await flow.recorder.setPaused(false, recording: now, actor: Self.actor)
            now = try #require(try await flow.recordings("race").first)
            #expect(now.pausedAt == nil && now.pauses.count == 1 && now.pauses[0].endMs != nil)
            #expect(flow.api.pauseRequests.map(\.paused) == [true, false])
            // The lease was given back: pausing again works at once.
            try await flow.recorder.setPaused(true, recording: now, actor: Self.actor)
            #expect(try #require(try await flow.recordings("race").first).pausedAt != nil)
        }
    }

    @Test func concurrentPausesAndResumesLeaveStretchesInTheOrderTheyWereApplied() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "storm")
            let recording = try #require(try await flow.recordings("storm").first)
            // 100ms answers each after a random few milliseconds, so answers would cross.
            flow.api.beforePauseAnswers { _ in try? await Task.sleep(for: .milliseconds(Int.random(in: 0...15))) }
            var refused = 0
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        do {
                            try await flow.recorder.setPaused(index % 2 == 0, recording: recording, actor: Self.actor)
                            return true
                        } catch RecordingPauseError.inProgress {
                            return false
                        }
                    }
                }
                for try await applied in group where !applied { refused += 1 }
            }
            #expect(refused > 0)
            // What the recording says is what 100ms was last told.
            let lastAsked = try #require(flow.api.pauseRequests.last).paused
            let now = try #require(try await flow.recordings("storm").first)
            #expect((now.pausedAt != nil) == lastAsked)
            #expect(now.pauses.count <= 12 - refused)
        }
    }

    @Test func aLeaseLeftByAKilledRequestLapses() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "killed")
            let recording = try #require(try await flow.recordings("killed").first)
            let now = flow.clock.now().millisecondsSince1970
            // What a `serve` killed while 100ms had its request leaves behind.
            #expect(try await flow.catalog.pool.recordings.takePauseLease(recording.id, nowMs: now, untilMs: now + 90_000))
            await #expect(throws: RecordingPauseError.inProgress) {
                try await flow.recorder.setPaused(true, recording: recording, actor: Self.actor)
            }
            flow.clock.advance(by: HMSRecorder.pauseLeaseSeconds)
            try await flow.recorder.setPaused(true, recording: recording, actor: Self.actor)
            #expect(try #require(try await flow.recordings("killed").first).pausedAt != nil)
        }
    }

    @Test func eachEndOfAStretchIsMidwayThroughItsExchangeSoSlowAnswersDoNotLengthenIt() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "slow")
            var recording = try #require(try await flow.recordings("slow").first)
            // 100ms takes 4 s to answer each time (the clock moves while it does).
            flow.api.beforePauseAnswers { _ in flow.clock.advance(by: 4) }
            var expected: [PausedStretch] = []
            for _ in 0..<20 {
                let pauseSent = flow.clock.now().millisecondsSince1970
                try await flow.recorder.setPaused(true, recording: recording, actor: Self.actor)
                flow.clock.advance(by: 10)
                let resumeSent = flow.clock.now().millisecondsSince1970
                try await flow.recorder.setPaused(false, recording: recording, actor: Self.actor)
                expected.append(PausedStretch(startMs: pauseSent + 2_000, endMs: resumeSent + 2_000))
                flow.clock.advance(by: 5)
                recording = try #require(try await flow.recordings("slow").first)
            }
            #expect(recording.pauses == expected)
            // 20 stretches of 14 s each (10 s between the requests plus half of each answer): the
            // real gaps, where request-to-answer would have made 20 × 18 s.
            #expect(recording.pauses.reduce(0) { $0 + ($1.endMs! - $1.startMs) } == 20 * 14_000)
        }
    }

    @Test func aPauseGoesOnEveryRecordingOf100msRoomThatIsRecording() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "north")
            try await flow.recordingWithAda(room: "south")
            let north = try #require(try await flow.recordings("north").first)
            let south = try #require(try await flow.recordings("south").first)
            // Two rooms of Tapedeck's that name one 100ms room (say, renamed at 100ms).
            try await flow.catalog.pool.sql.raw(
                "UPDATE recordings SET request_json = \(bind: north.requestJSON) WHERE id = \(bind: south.id)"
            ).run()
            let at = flow.clock.now().millisecondsSince1970
            try await flow.recorder.setPaused(true, recording: north, actor: Self.actor)
            #expect(try await flow.catalog.pool.recordings.find(id: south.id)?.pauses == [PausedStretch(startMs: at)])
            flow.clock.advance(by: 7)
            try await flow.recorder.setPaused(false, recording: north, actor: Self.actor)
            for id in [north.id, south.id] {
                #expect(try await flow.catalog.pool.recordings.find(id: id)?.pauses == [PausedStretch(startMs: at, endMs: at + 7_000)])
            }
            let events = try await flow.catalog.pool.events.list(recordingID: south.id, afterID: nil, limit: 100)
            #expect(events.filter { $0.type == "recording.paused" || $0.type == "recording.resumed" }.map(\.actor) == [Self.actor, Self.actor])
        }
    }

    @Test func cuesPostedToARecordingArePlacedByPausesNotedAfterItWasRead() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "cues")
            let started = try #require(try await flow.recordings("cues").first)
            try await flow.catalog.pool.sql.raw(
                "UPDATE recordings SET media_started_at = \(bind: flow.clock.now().millisecondsSince1970) WHERE id = \(bind: started.id)"
            ).run()
            let stale = try #require(try await flow.recordings("cues").first)
            let origin = try #require(stale.cueTimelineOrigin).millisecondsSince1970
            flow.clock.advance(by: 10)
            try await flow.recorder.setPaused(true, recording: stale, actor: Self.actor)
            flow.clock.advance(by: 30)
            try await flow.recorder.setPaused(false, recording: stale, actor: Self.actor)
            let said = flow.clock.now().millisecondsSince1970 + 5_000
            let cue = NewCue(key: "after", kind: .captions, language: "en", timing: .wallClock(startAt: said, endAt: said + 1_000), text: "hi", source: .live)
            _ = try await CueIngest(catalog: flow.catalog).ingest(
                recording: stale, cues: [cue], poster: CueRepository.Poster(actor: Self.actor, mayReplaceOthers: true))
            let placed = try await flow.catalog.pool.cues.list(recordingID: stale.id, filter: .init(), limit: 10)
            let pauses = try #require(try await flow.recordings("cues").first).pauses
            let want = CueTiming.mediaSpan(
                wallStartMs: said, wallEndMs: said + 1_000, mediaStartedAtMs: origin, offsetMs: stale.cueOffsetMs, pauses: pauses)
            #expect(placed.map(\.cue.startMs) == [want.startMs])
            #expect(want.startMs == said - origin - 30_000 + stale.cueOffsetMs)
        }
    }
}
