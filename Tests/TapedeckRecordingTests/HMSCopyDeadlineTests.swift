import Foundation
import HMS
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// 100ms deletes its files after 15 days: a recording not copied in a day after it ended is
/// counted for `/metrics` and reported once in its events.
@Suite("100ms copy deadline")
struct HMSCopyDeadlineTests {
    func overdueEvents(_ flow: HMSFlow, room: String) async throws -> [AuditEvent] {
        let recording = try #require(try await flow.recordings(room).first)
        return try await flow.catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 500)
            .filter { $0.type == HMSRecorder.copyOverdueEvent }
    }

    /// Advances the clock as a worker lives through it: jobs retried, reconciler passes.
    func live(_ flow: HMSFlow, hours: Double) async throws {
        for _ in 0..<Int(hours) {
            flow.clock.advance(by: 3600)
            try await flow.runJobs()
            try await flow.recorder.reconcile()
        }
    }

    @Test func aCopyThatKeepsFailingIsCountedAndReportedOnceAfterADay() async throws {
        try await HMSFlow.with { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "lost")
            let ended = flow.clock.now()  // 100ms reported the recorder stopping (with no stop time of its own)
            // 100ms finished, but the file cannot be fetched: every copy attempt fails.
            flow.api.complete(hmsID, fileName: "never-served.mp4", size: 4096)
            try await flow.webhook("beam.recording.success", flow.beam("lost", recordingID: hmsID))
            try await flow.runJobs()
            try await live(flow, hours: 23)
            #expect(try await flow.recordings("lost").first?.status == .processing)
            #expect(try await flow.recorder.uncopiedOverADay() == 0, "not a day yet")
            #expect(try await overdueEvents(flow, room: "lost").isEmpty)

            try await live(flow, hours: 3)  // the sweeps at 25 and 26 hours are both past the day
            #expect(try await flow.recorder.uncopiedOverADay() == 1)
            let events = try await overdueEvents(flow, room: "lost")
            #expect(events.count == 1, "one event, although several sweeps ran past the day")
            #expect(events.first?.dataJSON.contains(#""ended_at":"\#(ended.rfc3339)""#) == true, "\(events)")
            #expect(events.first?.actor == "reconciler")

            // A sweep that listed the recording before another sweep's event was committed writes nothing.
            let recording = try #require(try await flow.recordings("lost").first)
            let late = NewAuditEvent(recordingID: recording.id, type: HMSRecorder.copyOverdueEvent, actor: "reconciler")
            #expect(!(try await flow.catalog.transaction { tx in try await tx.events.appendOnce(late) }))
            // Sweeps racing each other (two workers) add nothing.
            async let first: Void = flow.recorder.alertOverdueCopies()
            async let second: Void = flow.recorder.alertOverdueCopies()
            _ = try await (first, second)
            try await live(flow, hours: 3)
            #expect(try await overdueEvents(flow, room: "lost").count == 1)
        }
    }

    @Test func aRecordingCopiedInTimeIsNeverCountedNorReported() async throws {
        try await HMSFlow.with { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "fine")
            let file = try flow.recordedFile("fine.mp4", bytes: 20_000)
            flow.api.complete(hmsID, fileName: "fine.mp4", size: Int64(file.count))
            try await flow.webhook("beam.recording.success", flow.beam("fine", recordingID: hmsID))
            try await flow.runJobs()
            #expect(try await flow.recordings("fine").first?.status == .ready)
            try await live(flow, hours: 30)
            #expect(try await flow.recorder.uncopiedOverADay() == 0)
            #expect(try await overdueEvents(flow, room: "fine").isEmpty)
        }
    }

    @Test func withoutAWordFrom100msTheSessionsEndStartsTheDay() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "silent")
            try await flow.webhook("session.close.success", flow.room("silent"))
            // No job runs from here on: 100ms is never asked, so it never confirms the stop.
            flow.clock.advance(by: 23 * 3600)
            try await flow.recorder.alertOverdueCopies()
            #expect(try await flow.recorder.uncopiedOverADay() == 0)
            flow.clock.advance(by: 2 * 3600)
            try await flow.recorder.alertOverdueCopies()
            #expect(try await flow.recordings("silent").first?.status == .stopping)
            #expect(try await flow.recorder.uncopiedOverADay() == 1)
            #expect(try await overdueEvents(flow, room: "silent").count == 1)
        }
    }

    @Test func theGaugeIsExposedUnderItsName() {
        let metrics = ServiceMetrics()
        metrics.setHMSUncopiedOverADay(3)
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains("tapedeck_hms_uncopied_recordings_over_a_day 3"), "\(text)")
    }
}
