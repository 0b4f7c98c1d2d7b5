import Foundation
import LiveKit
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// A webhook wakes this process's worker only when its transaction queued a job: most webhooks
/// (a room opening, a duplicate) queue none, and each wake-up costs the worker a claim.
@Suite("Webhook wake-ups")
struct WebhookWakeupTests {
    /// Whether the signal was given since the last wait: a pending signal ends a wait at once,
    /// and nothing else ends it before its timeout.
    func wasSignalled(_ wakeup: WakeupSignal) async -> Bool {
        let timeout = Duration.milliseconds(300)
        let start = ContinuousClock.now
        await wakeup.wait(timeout: timeout)
        return ContinuousClock.now - start < timeout
    }

    @Test func onlyAWebhookThatQueuedAJobWakesTheWorker() async throws {
        try await RecordingFlow.with { flow in
            let wakeup = flow.recorder.wakeup
            await wakeup.wait(timeout: .zero)  // whatever setting up signalled
            flow.api.openRoom("lecture")
            try await flow.webhook("room_started", room: "lecture")
            #expect(await !wasSignalled(wakeup), "a room opening queues nothing")
            flow.api.join("lecture", "ada")
            let joined = try await flow.webhook("participant_joined", room: "lecture", identity: "ada")
            #expect(joined == .applied)
            #expect(await wasSignalled(wakeup), "the join queued the recording's start")
            let queued = try await flow.catalog.pool.jobs.counts().filter { $0.state == .queued }
            #expect(queued.reduce(0) { $0 + $1.count } >= 1)
            // A second person joining an already recorded room queues nothing.
            flow.api.join("lecture", "grace")
            try await flow.webhook("participant_joined", room: "lecture", identity: "grace")
            #expect(await !wasSignalled(wakeup))
            // The start runs; its egress starts; both people leave.
            try await flow.runJobs()
            await wakeup.wait(timeout: .zero)
            let egressID = try #require(flow.api.startedEgressIDs.last)
            try await flow.webhook("egress_started", room: "lecture", egress: flow.api.info(egressID))
            flow.api.leave("lecture", "ada")
            flow.api.leave("lecture", "grace")
            try await flow.webhook("participant_left", room: "lecture", identity: "ada")
            #expect(await !wasSignalled(wakeup), "one of two leaving changes nothing")
            try await flow.webhook("participant_left", room: "lecture", identity: "grace")
            #expect(await wasSignalled(wakeup), "the empty room's stop was queued")
        }
    }

    @Test func aDuplicateDeliveryDoesNotWakeTheWorker() async throws {
        try await RecordingFlow.with { flow in
            let wakeup = flow.recorder.wakeup
            flow.api.openRoom("seminar")
            flow.api.join("seminar", "ada")
            let event = WebhookEvent(
                event: "participant_joined", id: "EV_dup", createdAt: Int64(flow.clock.now().timeIntervalSince1970),
                room: try await flow.api.listRooms(names: ["seminar"]).first,
                participant: ParticipantInfo(identity: "ada", kind: .standard))
            await wakeup.wait(timeout: .zero)
            #expect(try await flow.recorder.apply(event) == .applied)
            #expect(await wasSignalled(wakeup))
            #expect(try await flow.recorder.apply(event) == .duplicate)
            #expect(await !wasSignalled(wakeup))
        }
    }
}
