import Foundation
import LiveKit
import ObjectStorage
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// The core flow, webhook → recorder → jobs → ready, and how it heals, against a fake LiveKit.
@Suite("Recording flow")
struct RecordingFlowTests {
    /// A session with one participant: joined, recorded, left, egress ended.
    func recordOnce(_ flow: RecordingFlow, room: String, who: String = "ada") async throws -> String {
        let before = flow.api.startedEgressIDs.count
        try await flow.join(room, who)
        try await flow.runJobs()
        let started = flow.api.startedEgressIDs
        try #require(started.count == before + 1, "one egress started for the join")
        let egressID = started.last!
        try await flow.webhook("egress_started", room: room, egress: flow.api.info(egressID))
        try await flow.leave(room, who)
        try await flow.runJobs()
        #expect(flow.api.stopRequests.contains(egressID), "the empty room's egress was asked to stop")
        try await flow.egressEnds(egressID, room: room)
        try await flow.runJobs()
        return egressID
    }

    func objectExists(_ flow: RecordingFlow, _ key: String) async -> Bool {
        (try? await flow.store.head(try ObjectKey(key))) != nil
    }

    @Test func egressEndedMakesTheRecordingReadyWithItsFilesStored() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("lecture")
            try await flow.webhook("room_started", room: "lecture")
            let egressID = try await recordOnce(flow, room: "lecture")
            let recording = try #require(try await flow.recordings("lecture").only)
            #expect(recording.status == .ready)
            #expect(recording.providerRecordingID == egressID)
            let hls = try #require(recording.assets.first { $0.kind == .hls })
            #expect(hls.key.hasPrefix(recording.keyPrefix) && hls.key.hasSuffix(".m3u8"))
            #expect(await objectExists(flow, hls.key))
            // The egress wrote into the recording's own folder, as its request said.
            let request = try #require(flow.api.request(of: egressID))
            #expect(request.segmentOutputs.allSatisfy { $0.playlistName.hasPrefix("/out/" + recording.keyPrefix) })
            // Ready came with post-processing queued, in the same step.
            let postProcess = try await flow.catalog.pool.jobs.find(
                idempotencyKey: "\(PostProcessJob.kind):\(recording.id.uuidString.lowercased())")
            #expect(postProcess != nil)
        }
    }

    @Test func aRejoinMakesASecondRecordingWithItsOwnFiles() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("mentoring")
            try await flow.webhook("room_started", room: "mentoring")
            let first = try await recordOnce(flow, room: "mentoring")
            let second = try await recordOnce(flow, room: "mentoring", who: "grace")
            #expect(first != second)
            let recordings = try await flow.recordings("mentoring")
            try #require(recordings.count == 2)
            #expect(recordings.allSatisfy { $0.status == .ready })
            #expect(recordings[0].sessionID == recordings[1].sessionID, "one session, two recordings")
            #expect(!recordings[0].keyPrefix.hasPrefix(recordings[1].keyPrefix))
            #expect(!recordings[1].keyPrefix.hasPrefix(recordings[0].keyPrefix))
            let keys = recordings.map { Set($0.assets.map(\.key)) }
            #expect(keys[0].isDisjoint(with: keys[1]))
            for key in keys[0].union(keys[1]) { #expect(await objectExists(flow, key), "\(key)") }
            // Deleting the first leaves every object of the second.
            _ = try await RecordingLifecycle.markDeleted(
                recordings[0].id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            try await flow.runJobs()
            for key in keys[0] { #expect(!(await objectExists(flow, key)), "\(key) purged") }
            for key in keys[1] { #expect(await objectExists(flow, key), "\(key) kept") }
        }
    }

    @Test func theReconcilerHealsALostEgressEnded() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("seminar")
            try await flow.join("seminar", "ada")
            try await flow.runJobs()
            let egressID = try #require(flow.api.startedEgressIDs.first)
            // LiveKit ends the egress; its webhook never arrives.
            try flow.api.complete(egressID)
            try await flow.recorder.reconcile()
            #expect(try await flow.recordings("seminar").first?.status != .ready, "not yet quiet: not asked")
            flow.clock.advance(by: flow.recorder.reconcileStaleAfter + 1)
            try await flow.recorder.reconcile()
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("seminar").only)
            #expect(recording.status == .ready)
            #expect(await objectExists(flow, try #require(recording.assets.first { $0.kind == .hls }).key))
        }
    }

    @Test func anEgressLiveKitForgotFailsTheRecordingWithTheReason() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("vanished")
            try await flow.join("vanished", "ada")
            try await flow.runJobs()
            let egressID = try #require(flow.api.startedEgressIDs.first)
            flow.api.forget(egressID)
            flow.clock.advance(by: flow.recorder.reconcileStaleAfter + 1)
            try await flow.recorder.reconcile()
            let recording = try #require(try await flow.recordings("vanished").only)
            #expect(recording.status == .failed)
            #expect(recording.error?.contains(egressID) == true)
        }
    }

    @Test func startRetriesUntilLiveKitTakesItAndStartsOneEgress() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("busy")
            flow.api.failNextStarts(2)
            try await flow.join("busy", "ada")
            var rounds = 0
            while flow.api.startedEgressIDs.isEmpty, rounds < 10 {
                try await flow.runJobs()
                flow.clock.advance(by: 3600)  // past any backoff
                rounds += 1
            }
            #expect(flow.api.startedEgressIDs.count == 1)
            // More rounds start nothing more: the job is done.
            try await flow.runJobs()
            flow.clock.advance(by: 3600)
            try await flow.runJobs()
            #expect(flow.api.startedEgressIDs.count == 1)
            let recording = try #require(try await flow.recordings("busy").only)
            #expect(recording.providerRecordingID == flow.api.startedEgressIDs.first)
            #expect(recording.status == .starting || recording.status == .recording)
        }
    }

    @Test func stoppingAnEgressThatHasEndedTakesItsOutcome() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("ended")
            try await flow.join("ended", "ada")
            try await flow.runJobs()
            let egressID = try #require(flow.api.startedEgressIDs.first)
            try await flow.webhook("egress_started", room: "ended", egress: flow.api.info(egressID))
            // LiveKit finished it (its own limit) before Tapedeck asked it to stop.
            try flow.api.complete(egressID)
            let active = try #require(try await flow.recordings("ended").only)
            try await flow.catalog.transaction { tx in
                try await flow.recorder.requestStop(tx, recording: active, reason: "test", actor: "test")
            }
            try await flow.runJobs()
            #expect(flow.api.stopRequests == [egressID])
            let recording = try #require(try await flow.recordings("ended").only)
            #expect(recording.status == .ready, "\(recording.status) \(recording.error ?? "")")
        }
    }

    @Test func duplicateWebhooksAreAppliedOnce() async throws {
        try await RecordingFlow.with { flow in
            flow.api.openRoom("twice")
            flow.api.join("twice", "ada")
            let event = WebhookEvent(
                event: "participant_joined", id: "EV_same", createdAt: 1_767_225_600, room: RoomInfo(sid: "RM_x", name: "twice"),
                participant: ParticipantInfo(identity: "ada"))
            #expect(try await flow.recorder.apply(event) == .applied)
            #expect(try await flow.recorder.apply(event) == .duplicate)
            try await flow.runJobs()
            #expect(flow.api.startedEgressIDs.count == 1)
        }
    }
}
