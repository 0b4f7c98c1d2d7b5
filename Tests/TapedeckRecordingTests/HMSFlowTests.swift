import Foundation
import HMS
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// 100ms: webhooks → policy → REST start/stop → confirmation over REST → copy-in → ready.
@Suite("100ms recording flow")
struct HMSFlowTests {
    @Test func aJoinStartsTheRecorderAndTheCompletedFileIsCopiedIn() async throws {
        try await HMSFlow.with { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "class")
            #expect(flow.api.startRequests.map(\.roomID) == ["id-class"])
            #expect(flow.api.stopRequests.contains(hmsID) && Set(flow.api.stopRequests) == [hmsID], "the empty room's recorder was asked to stop")
            #expect(try await flow.recordings("class").first?.status == .processing)
            let file = try flow.recordedFile("class.mp4", bytes: 300_000)
            flow.api.complete(hmsID, fileName: "class.mp4", size: Int64(file.count))
            try await flow.webhook("beam.recording.success", flow.beam("class", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("class").first)
            #expect(recording.status == .ready)
            #expect(recording.provider == "100ms" && recording.providerRecordingID == hmsID)
            let mp4 = try #require(recording.assets.first { $0.kind == .mp4 })
            #expect(mp4.key.hasPrefix(recording.keyPrefix))
            #expect(try await flow.stored(mp4.key) == file, "byte-identical")
            #expect(mp4.sizeBytes == Int64(file.count))
        }
    }

    @Test func hundredMSTranscriptBecomesTheCaptionsTrackAndABrokenOneDoesNotFailTheRecording() async throws {
        try await HMSFlow.with { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "talk")
            let file = try flow.recordedFile("talk.mp4", bytes: 50_000)
            flow.api.complete(hmsID, fileName: "talk.mp4", size: Int64(file.count))
            let transcript = #"{"sentences": [{"sentence": "Hello <b>class</b>", "name": "Ada", "peer_id": "p1", "start_time": "1010", "end_time": 2500}, {"sentence": "Recursion today", "name": "Ada", "start_time": 3000, "end_time": "4200"}]}"#
            try Data(transcript.utf8).write(to: URL(fileURLWithPath: flow.files + "/talk.json"))
            flow.api.addTranscript(hmsID, fileName: "talk.json", mode: "json")
            try await flow.webhook("beam.recording.success", flow.beam("talk", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("talk").first)
            #expect(recording.status == .ready)
            let cues = try await flow.dependencies.catalog.pool.cues.list(recordingID: recording.id, filter: .init(), limit: 10)
            // The sentence as 100ms wrote it: plain text (the WebVTT writer escapes it on the way out).
            #expect(cues.map(\.cue.text) == ["Hello <b>class</b>", "Recursion today"])
            #expect(cues.map(\.cue.startMs) == [1010, 3000])
            #expect(cues.map(\.cue.speaker) == ["Ada", "Ada"])
            #expect(cues.allSatisfy { $0.cue.source == .provider && $0.cue.language == "en" })
        }
        try await HMSFlow.with { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "garbled")
            let file = try flow.recordedFile("garbled.mp4", bytes: 50_000)
            flow.api.complete(hmsID, fileName: "garbled.mp4", size: Int64(file.count))
            try Data("not a transcript".utf8).write(to: URL(fileURLWithPath: flow.files + "/garbled.json"))
            flow.api.addTranscript(hmsID, fileName: "garbled.json", mode: "json")
            try await flow.webhook("beam.recording.success", flow.beam("garbled", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("garbled").first)
            #expect(recording.status == .ready, "the recording does not depend on its transcript")
            #expect(try await flow.dependencies.catalog.pool.cues.tracks(recordingID: recording.id).isEmpty)
            let events = try await flow.dependencies.catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 100)
            #expect(events.contains { $0.type == "recording.transcript_failed" })
        }
    }

    @Test func aForgedRecordingSuccessForARunningRecordingChangesNothing() async throws {
        try await HMSFlow.with { flow in
            try await flow.webhook("session.open.success", flow.room("forged"))
            try await flow.webhook("peer.join.success", flow.peer("forged", "ada"))
            try await flow.runJobs()
            let hmsID = try #require(flow.api.recordingIDs.first)
            flow.api.set(hmsID, .running)
            for type in ["beam.recording.success", "recording.success", "beam.failure"] {
                try await flow.webhook(type, flow.beam("forged", recordingID: hmsID))
            }
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("forged").first)
            #expect(recording.status == .recording, "100ms says it is running: \(recording.status)")
            #expect(recording.assets.isEmpty)
            #expect(flow.api.presignedCount == 0, "nothing was fetched")
        }
    }

    @Test func theRecordersOwnPeerIsNotAParticipant() async throws {
        try await HMSFlow.with { flow in
            try await flow.webhook("session.open.success", flow.room("bots"))
            #expect(try await flow.webhook("peer.join.success", flow.peer("bots", "beam-1", role: "__internal_recorder")) == .ignored)
            try await flow.runJobs()
            #expect(flow.api.startRequests.isEmpty)
        }
    }

    @Test func whenHostJoinsWaitsForAHostByRole() async throws {
        var policy = RecordingPolicy()
        policy.start = .whenHostJoins
        policy.hostRoles = ["host"]
        try await HMSFlow.with(policy: policy) { flow in
            try await flow.webhook("session.open.success", flow.room("mentoring"))
            try await flow.webhook("peer.join.success", flow.peer("mentoring", "student"))
            try await flow.runJobs()
            #expect(flow.api.startRequests.isEmpty, "a guest alone starts nothing")
            try await flow.webhook("peer.join.success", flow.peer("mentoring", "teacher", role: "host"))
            try await flow.runJobs()
            #expect(flow.api.startRequests.count == 1)
        }
    }

    @Test func theReconcilerHealsLostWebhooks() async throws {
        try await HMSFlow.with { flow in
            try await flow.webhook("session.open.success", flow.room("quiet"))
            try await flow.webhook("peer.join.success", flow.peer("quiet", "ada"))
            try await flow.runJobs()
            let hmsID = try #require(flow.api.recordingIDs.first)
            // 100ms records, stops and finishes; none of its webhooks arrive.
            let file = try flow.recordedFile("quiet.mp4", bytes: 50_000)
            flow.api.complete(hmsID, fileName: "quiet.mp4", size: Int64(file.count))
            try await flow.recorder.reconcile()
            try await flow.runJobs()
            #expect(try await flow.recordings("quiet").first?.status == .starting, "not quiet yet: not asked")
            flow.clock.advance(by: flow.recorder.reconcileStaleAfter + 1)
            try await flow.recorder.reconcile()
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("quiet").first)
            #expect(recording.status == .ready)
            #expect(try await flow.stored(try #require(recording.assets.first { $0.kind == .mp4 }).key) == file)
        }
    }

    @Test func aFileOfTheWrongSizeIsNotKeptAndTheRecordingIsNotReady() async throws {
        try await HMSFlow.with { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "short")
            let file = try flow.recordedFile("short.mp4", bytes: 10_000)
            flow.api.complete(hmsID, fileName: "short.mp4", size: Int64(file.count + 1))
            try await flow.webhook("beam.recording.success", flow.beam("short", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("short").first)
            #expect(flow.api.presignedCount >= 1, "the copy was tried")
            #expect(recording.status != .ready)
            #expect(recording.assets.isEmpty)
            #expect(try await flow.stored(recording.keyPrefix + "recording.mp4") == nil, "the short copy was removed")
        }
    }

    @Test func startRetriesAfterAnOverloadedRecorderAndStartsOnce() async throws {
        try await HMSFlow.with { flow in
            flow.api.failNextStarts(2)
            try await flow.webhook("session.open.success", flow.room("busy"))
            try await flow.webhook("peer.join.success", flow.peer("busy", "ada"))
            for _ in 0..<6 where flow.api.recordingIDs.isEmpty {
                try await flow.runJobs()
                flow.clock.advance(by: 3600)
            }
            try await flow.runJobs()
            #expect(flow.api.recordingIDs.count == 1)
            #expect(try await flow.recordings("busy").first?.providerRecordingID == flow.api.recordingIDs.first)
        }
    }

    @Test func duplicateWebhooksApplyOnce() async throws {
        try await HMSFlow.with { flow in
            try await flow.webhook("session.open.success", flow.room("dup"))
            #expect(try await flow.webhook("peer.join.success", flow.peer("dup", "ada"), id: "same") == .applied)
            #expect(try await flow.webhook("peer.join.success", flow.peer("dup", "ada"), id: "same") == .duplicate)
            try await flow.runJobs()
            #expect(flow.api.startRequests.count == 1)
        }
    }

    @Test func hostileNamesAndIdentitiesAreStoredCleanOrIgnored() async throws {
        try await HMSFlow.with { flow in
            for (index, text) in HostileStrings.all.enumerated() where !text.isEmpty {
                var data = flow.peer("hostile-\(index)", "u\(index)")
                data.userID = text
                data.userName = text
                data.role = text
                let outcome = try await flow.webhook("peer.join.success", data)
                #expect(outcome == .applied || outcome == .ignored)
                var named = flow.room(text)
                named.roomID = "r\(index)"
                _ = try await flow.webhook("session.open.success", named)
            }
        }
    }

    @Test func aStoppedWebhookForARecordingStillRunningChangesNothing() async throws {
        try await HMSFlow.with { flow in
            let hmsID = try await flow.recordingWithAda(room: "claims")
            #expect(try await flow.recordings("claims").first?.status == .recording)
            // 100ms still records: a (forged or stray) "stopped" moves nothing.
            try await flow.webhook("beam.stopped.success", flow.beam("claims", recordingID: hmsID))
            try await flow.webhook("beam.started.success", flow.beam("claims", recordingID: "another-recorder"))
            try await flow.runJobs()
            #expect(try await flow.recordings("claims").first?.status == .recording)
            #expect(flow.api.stopRequests.isEmpty)
        }
    }

    @Test func aLiveKitRoomOfTheSameNameIsAnotherRoom() async throws {
        try await HMSFlow.with { flow in
            let livekit = try await flow.catalog.transaction { tx in try await tx.rooms.findOrCreate(name: "shared-name", provider: "livekit") }
            #expect(try await flow.webhook("session.open.success", flow.room("shared-name")) == .applied)
            #expect(try await flow.webhook("peer.join.success", flow.peer("shared-name", "ada")) == .applied)
            try await flow.runJobs()
            #expect(flow.api.startRequests.map(\.roomID) == ["id-shared-name"], "the 100ms session is recorded")
            let room = try #require(try await flow.catalog.pool.rooms.find(name: "shared-name", provider: "100ms"))
            #expect(room.id != livekit.id && room.providerRoomID == "id-shared-name")
            #expect(try await flow.catalog.pool.rooms.find(id: livekit.id) == livekit, "LiveKit's room is untouched")
            #expect(try await flow.recordings("shared-name").map(\.roomID) == [room.id])
        }
    }

    @Test func aRecordingWhoseStartGaveUpFailsInsteadOfBlockingTheRoom() async throws {
        try await HMSFlow.with { flow in
            flow.api.failNextStarts(1000)
            try await flow.webhook("session.open.success", flow.room("refused"))
            try await flow.webhook("peer.join.success", flow.peer("refused", "ada"))
            for _ in 0..<15 {
                try await flow.runJobs()
                flow.clock.advance(by: 3600)
            }
            try await flow.recorder.reconcile()
            let recording = try #require(try await flow.recordings("refused").first)
            #expect(recording.status == .failed)
            #expect(recording.error?.contains("could not be started") == true)
            #expect(flow.api.recordingIDs.isEmpty)
        }
    }
}
