import Foundation
import HMS
import ObjectStorage
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// A 100ms template that uploads into Tapedeck's own bucket: the finished file is checked with
/// HEAD and kept where it is, never downloaded and uploaded again — unless anything about it is
/// off, and then it is copied as from 100ms' storage.
@Suite("100ms files already in Tapedeck's bucket")
struct HMSOwnBucketTests {
    static let bucket = HMSOwnBucket(scheme: "s3", bucket: "school-recordings", keyPrefix: "tapedeck/")

    @Test func onlyObjectsOfTheBucketUnderItsPrefixAreTheStores() {
        #expect(Self.bucket.key(of: "s3://school-recordings/tapedeck/hms/room/rec.mp4")?.rawValue == "hms/room/rec.mp4")
        for elsewhere in [
            nil, "", "s3://school-recordings/other/rec.mp4", "s3://school-recordings-2/tapedeck/rec.mp4", "gs://school-recordings/tapedeck/rec.mp4",
            "s3://hms-bucket/tapedeck/rec.mp4", "s3://school-recordings/tapedeck/", "s3://school-recordings/tapedeck/../secret",
            "https://school-recordings/tapedeck/rec.mp4", "S3://school-recordings/tapedeck/rec.mp4",
        ] {
            #expect(Self.bucket.key(of: elsewhere) == nil, "\(elsewhere ?? "nil")")
        }
        // Whatever 100ms reports, a key is only ever one the store accepts, under the prefix.
        for text in HostileStrings.all {
            if let key = Self.bucket.key(of: "s3://school-recordings/tapedeck/" + text) {
                #expect(key.rawValue == text)
                #expect(throws: Never.self) { try ObjectKey(key.rawValue) }
            }
            #expect(Self.bucket.key(of: text) == nil || text.hasPrefix("s3://school-recordings/tapedeck/"))
        }
        #expect(HMSOwnBucket(storage: .local(root: "/srv")) == nil)
    }

    static func put(_ flow: HMSFlow, _ key: String, _ data: Data) async throws {
        let path = flow.files + "/upload-" + UUID().uuidString
        try data.write(to: URL(fileURLWithPath: path))
        _ = try await flow.store.putFile(try ObjectKey(key), path: path, contentType: "video/mp4")
    }

    @Test func aCompleteFileInTheBucketIsAdoptedWithoutACopy() async throws {
        try await HMSFlow.with(ownBucket: Self.bucket) { flow in
            let hmsID = try await flow.recordWhileAdaIsThere(room: "class")
            let file = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 13) })
            try await Self.put(flow, "hms/class/\(hmsID).mp4", file)
            flow.api.complete(
                hmsID, fileName: "unused.mp4", size: Int64(file.count), path: "s3://school-recordings/tapedeck/hms/class/\(hmsID).mp4")
            try await flow.webhook("beam.recording.success", flow.beam("class", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("class").first)
            #expect(recording.status == .ready)
            let mp4 = try #require(recording.assets.first { $0.kind == .mp4 })
            #expect(mp4.key == "hms/class/\(hmsID).mp4" && mp4.sizeBytes == Int64(file.count))
            #expect(flow.api.presignedCount == 0, "nothing downloaded from 100ms")
            #expect(try await flow.stored(recording.keyPrefix + "recording.mp4") == nil, "no second copy")
            #expect(try await flow.stored(mp4.key) == file)

            // Deleted, it goes with its recording though it lies outside the recording's folder;
            // the bucket's other files stay.
            try await Self.put(flow, "hms/class/other.mp4", file)
            _ = try await RecordingLifecycle.markDeleted(
                recording.id, actor: "admin", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            try await flow.runJobs()
            #expect(try await flow.stored(mp4.key) == nil)
            #expect(try await flow.stored("hms/class/other.mp4") == file)
        }
    }

    @Test func aFileOfAnotherSizeOrNamedByAnotherRecordingIsCopiedInsteadAndLeftAlone() async throws {
        try await HMSFlow.with(ownBucket: Self.bucket) { flow in
            // 100ms reports more bytes than the bucket holds (an upload cut short).
            let hmsID = try await flow.recordWhileAdaIsThere(room: "short")
            let partial = Data(repeating: 1, count: 1000)
            try await Self.put(flow, "hms/short.mp4", partial)
            let file = try flow.recordedFile("short.mp4", bytes: 5000)
            flow.api.complete(hmsID, fileName: "short.mp4", size: Int64(file.count), path: "s3://school-recordings/tapedeck/hms/short.mp4")
            try await flow.webhook("beam.recording.success", flow.beam("short", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("short").first)
            #expect(recording.status == .ready)
            let mp4 = try #require(recording.assets.first { $0.kind == .mp4 })
            #expect(mp4.key == recording.keyPrefix + "recording.mp4" && flow.api.presignedCount == 1)
            #expect(try await flow.stored(mp4.key) == file)
            #expect(try await flow.stored("hms/short.mp4") == partial, "the bucket's file is not touched")

            // A second recording whose reported file is the first one's: copied, never shared.
            let secondID = try await flow.recordWhileAdaIsThere(room: "again")
            let other = try flow.recordedFile("again.mp4", bytes: 4000)
            try await Self.put(flow, "hms/again.mp4", other)
            try await flow.catalog.pool.assets.upsert(
                NewAsset(recordingID: recording.id, kind: .thumbnail, key: "hms/again.mp4", contentType: "video/mp4"))
            flow.api.complete(secondID, fileName: "again.mp4", size: Int64(other.count), path: "s3://school-recordings/tapedeck/hms/again.mp4")
            try await flow.webhook("beam.recording.success", flow.beam("again", recordingID: secondID))
            try await flow.runJobs()
            let second = try #require(try await flow.recordings("again").first)
            #expect(second.status == .ready)
            #expect(second.assets.first { $0.kind == .mp4 }?.key == second.keyPrefix + "recording.mp4")
        }
    }

    @Test func pauseAndResumeReachTheRoomAndAreAudited() async throws {
        try await HMSFlow.with { flow in
            _ = try await flow.recordingWithAda(room: "paused")
            let recording = try #require(try await flow.recordings("paused").first)
            try await flow.recorder.setPaused(true, recording: recording, actor: "admin")
            try await flow.recorder.setPaused(false, recording: recording, actor: "admin")
            #expect(flow.api.pauseRequests.map(\.paused) == [true, false] && flow.api.pauseRequests.allSatisfy { $0.roomID == "id-paused" })
            let events = try await flow.catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 100).map(\.type)
            #expect(events.filter { $0 == "recording.paused" }.count == 1 && events.filter { $0 == "recording.resumed" }.count == 1)
            // A recording that is not recording is refused before 100ms is asked.
            try await flow.webhook("peer.leave.success", flow.peer("paused", "ada"))
            try await flow.runJobs()
            let stopped = try #require(try await flow.recordings("paused").first)
            await #expect(throws: RecordingPauseError.notRecording(stopped.status)) {
                try await flow.recorder.setPaused(true, recording: stopped, actor: "admin")
            }
            #expect(flow.api.pauseRequests.count == 2)
        }
    }
}
