import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Recordings not yet copied from their provider")
struct UncopiedRecordingsTests {
    @Test("counted by provider once ended before the cutoff, until final; reported once", arguments: TestDatabase.all)
    func uncopied(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let recordings = catalog.pool.recordings
            let ended = clock.now()
            let waiting = try await Fixtures.recording(catalog, room: "a", status: .processing, provider: "100ms")
            try await recordings.noteEnded(waiting.id, at: ended)
            try await recordings.noteEnded(waiting.id, at: ended.addingTimeInterval(600))  // the first end stays
            let copied = try await Fixtures.recording(catalog, room: "b", status: .ready, provider: "100ms")
            try await recordings.noteEnded(copied.id, at: ended)
            let otherProvider = try await Fixtures.recording(catalog, room: "c", status: .processing, provider: "livekit")
            try await recordings.noteEnded(otherProvider.id, at: ended)
            // Never confirmed by its provider: the session's end counts.
            let unconfirmed = try await Fixtures.recording(catalog, room: "d", status: .stopping, provider: "100ms")
            try await catalog.pool.sessions.close(try #require(unconfirmed.sessionID), at: ended.addingTimeInterval(60))
            clock.advance(by: 7200)
            let recent = try await Fixtures.recording(catalog, room: "e", status: .processing, provider: "100ms")
            try await recordings.noteEnded(recent.id, at: clock.now())

            let cutoff = ended.addingTimeInterval(3600)
            #expect(try await recordings.uncopiedCount(provider: "100ms", endedBefore: cutoff) == 2)
            let listed = try await recordings.uncopied(provider: "100ms", endedBefore: cutoff, withoutEvent: "x.overdue", limit: 10)
            #expect(listed.map(\.recording.id) == [waiting.id, unconfirmed.id], "oldest end first")
            #expect(listed.map(\.endedAt) == [ended, ended.addingTimeInterval(60)])

            let event = NewAuditEvent(recordingID: waiting.id, type: "x.overdue", actor: "test")
            #expect(try await catalog.transaction { tx in try await tx.events.appendOnce(event) })
            #expect(!(try await catalog.transaction { tx in try await tx.events.appendOnce(event) }), "a second one is not written")
            let after = try await recordings.uncopied(provider: "100ms", endedBefore: cutoff, withoutEvent: "x.overdue", limit: 10)
            #expect(after.map(\.recording.id) == [unconfirmed.id])
            #expect(try await recordings.uncopiedCount(provider: "100ms", endedBefore: cutoff) == 2, "reported is still not copied")
        }
    }
}
