import Foundation
import HMS
import NIOCore
import ObjectStorage
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// 100ms' chat and summary: copied after the MP4 made the recording ready, never in its way.
@Suite("100ms chat and summary")
struct HMSSideFilesTests {
    /// A finished recording of `room` whose MP4 is served; returns 100ms' id and the MP4's bytes.
    static func completed(_ flow: HMSFlow, room: String) async throws -> (String, Data) {
        let hmsID = try await flow.recordWhileAdaIsThere(room: room)
        let file = try flow.recordedFile("\(room).mp4", bytes: 30_000)
        flow.api.complete(hmsID, fileName: "\(room).mp4", size: Int64(file.count))
        return (hmsID, file)
    }

    static func field(_ event: AuditEvent, _ name: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(event.dataJSON.utf8)) as? [String: Any])?[name] as? String
    }

    static func events(_ flow: HMSFlow, _ recording: Recording) async throws -> [AuditEvent] {
        try await flow.catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 200)
    }

    @Test func chatAndSummaryAreCopiedByteForByteIntoTheRecordingsFolder() async throws {
        try await HMSFlow.with { flow in
            let (hmsID, _) = try await Self.completed(flow, room: "seminar")
            // Contents and names 100ms relays from participants: hostile, and kept out of the keys.
            let chat = Data(("SenderName,Message\n" + HostileStrings.all.map { "\"x\",\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }
                .joined(separator: "\n")).utf8)
            let summary = Data(#"{"sections":[{"title":"<script>alert(1)</script>","paragraph":"../../etc/passwd"}]}"#.utf8)
            try chat.write(to: URL(fileURLWithPath: flow.files + "/chat.csv"))
            try summary.write(to: URL(fileURLWithPath: flow.files + "/summary.json"))
            let chatID = flow.api.addAsset(
                hmsID, type: "chat", fileName: "chat.csv", size: Int64(chat.count), path: "s3://hms/../../other/x.csv")
            let summaryID = flow.api.addAsset(hmsID, type: "summary", fileName: "summary.json", size: Int64(summary.count))
            try await flow.webhook("beam.recording.success", flow.beam("seminar", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("seminar").first)
            #expect(recording.status == .ready)
            let chatAsset = try #require(recording.assets.first { $0.kind == .chat })
            let summaryAsset = try #require(recording.assets.first { $0.kind == .summary })
            #expect(chatAsset.key == recording.keyPrefix + Self.name(.chat, chatID, size: chat.count, path: "s3://hms/../../other/x.csv"))
            #expect(summaryAsset.key == recording.keyPrefix + Self.name(.summary, summaryID, size: summary.count))
            #expect(chatAsset.key.hasPrefix(recording.keyPrefix + "chat-") && chatAsset.key.hasSuffix(".csv"))
            #expect(try await flow.stored(chatAsset.key) == chat, "byte-identical")
            #expect(try await flow.stored(summaryAsset.key) == summary, "byte-identical")
            #expect(chatAsset.sizeBytes == Int64(chat.count) && summaryAsset.contentType == "application/json")
            // Running again (a retry after a crash, a second trigger) fetches nothing more.
            let fetched = flow.api.presignedCount
            try await flow.catalog.transaction { tx in
                try await tx.jobs.enqueue(try HMSSideFilesJob.newJob(recordingID: recording.id, reason: "again"))
            }
            try await flow.runJobs()
            #expect(flow.api.presignedCount == fetched)
            #expect(try await flow.recordings("seminar").first?.assets.filter { AssetKind.sideFiles.contains($0.kind) }.count == 2)

            // Deleting the recording deletes them with it.
            _ = try await RecordingLifecycle.markDeleted(
                recording.id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            try await flow.runJobs()
            #expect(try await flow.stored(chatAsset.key) == nil)
            #expect(try await flow.stored(summaryAsset.key) == nil)
        }
    }

    @Test func aChatThatCannotBeCopiedNeverHoldsReadinessBackAndIsRetried() async throws {
        try await HMSFlow.with { flow in
            let (hmsID, _) = try await Self.completed(flow, room: "broken")
            // 100ms lists a chat whose file is not there yet (and one whose size is wrong).
            flow.api.addAsset(hmsID, type: "chat", fileName: "late-chat.csv", size: 26)
            let summary = Data("{}".utf8)
            try summary.write(to: URL(fileURLWithPath: flow.files + "/short.json"))
            flow.api.addAsset(hmsID, type: "summary", fileName: "short.json", size: 999)
            try await flow.webhook("beam.recording.success", flow.beam("broken", recordingID: hmsID))
            try await flow.runJobs()
            var recording = try #require(try await flow.recordings("broken").first)
            #expect(recording.status == .ready, "the MP4 alone makes it ready")
            #expect(!recording.assets.contains { AssetKind.sideFiles.contains($0.kind) })
            let failures = try await Self.events(flow, recording).filter { $0.type == HMSSideFilesJob.failedEvent }
            #expect(Set(failures.map { Self.field($0, "kind") }) == ["chat", "summary"])
            #expect(try await Self.sideFileKeys(flow, recording).isEmpty, "a short copy is not kept")
            // The file arrives; the retry from the queue copies it.
            let chat = Data("SenderName,Message\nAda,hi\n".utf8)
            #expect(chat.count == 26)
            try chat.write(to: URL(fileURLWithPath: flow.files + "/late-chat.csv"))
            flow.clock.advance(by: 3600)
            try await flow.runJobs()
            recording = try #require(try await flow.recordings("broken").first)
            #expect(recording.status == .ready)
            let copied = try #require(recording.assets.first { $0.kind == .chat })
            #expect(try await flow.stored(copied.key) == chat)
            #expect(!recording.assets.contains { $0.kind == .summary }, "the wrong size is never kept")
        }
    }

    @Test(arguments: TestDatabase.all) func aRecordingDeletedWhileItsChatIsCopiedKeepsNothing(database: TestDatabase) async throws {
        try await HMSFlow.with(database: database) { flow in
            let (hmsID, _) = try await Self.completed(flow, room: "gone")
            try await flow.webhook("beam.recording.success", flow.beam("gone", recordingID: hmsID))
            // Only the copy-in: the recording is ready and its side-file job queued.
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("gone").first)
            let chat = Data("a,b\n".utf8)
            try chat.write(to: URL(fileURLWithPath: flow.files + "/gone-chat.csv"))
            flow.api.addAsset(hmsID, type: "chat", fileName: "gone-chat.csv", size: Int64(chat.count))
            _ = try await RecordingLifecycle.markDeleted(
                recording.id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            let job = HMSSideFilesJob(recorder: flow.recorder, store: flow.store, http: flow.dependencies.http)
            try await job.run(
                try #require(try await Self.queuedJob(flow, recording: recording.id)), logger: TestLogger.make())
            try await flow.runJobs()
            #expect(try await Self.sideFileKeys(flow, recording).isEmpty)
            #expect(try await flow.catalog.pool.assets.list(recordingID: recording.id).isEmpty)
        }
    }

    /// The key name a 100ms asset is copied to.
    static func name(_ kind: AssetKind, _ id: String, size: Int?, path: String? = nil) -> String {
        HMSSideFilesJob.fileName(kind, asset: HMSAsset(id: id, type: kind.rawValue, status: "completed", path: path, size: size.map(Int64.init)))
    }

    /// The chat and summary objects in the recording's folder, listed or not.
    static func sideFileKeys(_ flow: HMSFlow, _ recording: Recording) async throws -> [String] {
        try await flow.store.list(prefix: recording.keyPrefix, startAfter: nil, limit: 1000).objects.map(\.key)
            .filter { key in ["chat", "summary"].contains { (key as NSString).lastPathComponent.hasPrefix($0) } }
    }

    @Test(arguments: TestDatabase.all) func aRegeneratedSummaryNeverHarmsTheStoredCopyAndReplacesItOnceWhole(database: TestDatabase) async throws {
        try await HMSFlow.with(database: database) { flow in
            let (hmsID, _) = try await Self.completed(flow, room: "redo")
            let first = Data(#"{"sections":[{"title":"first"}]}"#.utf8)
            try first.write(to: URL(fileURLWithPath: flow.files + "/first.json"))
            flow.api.addAsset(hmsID, type: "summary", fileName: "first.json", size: Int64(first.count), createdAt: Date(timeIntervalSince1970: 1))
            try await flow.webhook("beam.recording.success", flow.beam("redo", recordingID: hmsID))
            try await flow.runJobs()
            var recording = try #require(try await flow.recordings("redo").first)
            let id = recording.id
            let stored = try #require(recording.assets.first { $0.kind == .summary })
            #expect(try await flow.stored(stored.key) == first)

            // 100ms redoes the summary (a second transcription.success): its file is cut short.
            let second = Data(#"{"sections":[{"title":"second, longer"}]}"#.utf8)
            try second.prefix(10).write(to: URL(fileURLWithPath: flow.files + "/second.json"))
            let secondID = flow.api.addAsset(
                hmsID, type: "summary", fileName: "second.json", size: Int64(second.count), createdAt: Date(timeIntervalSince1970: 2))
            try await flow.catalog.transaction { tx in
                try await tx.jobs.enqueue(try HMSSideFilesJob.newJob(recordingID: id, reason: "webhook:redo"))
            }
            try await flow.runJobs()
            recording = try #require(try await flow.recordings("redo").first)
            #expect(recording.assets.filter { $0.kind == .summary } == [stored], "the listed copy is untouched")
            #expect(try await flow.stored(stored.key) == first, "and whole")
            #expect(try await Self.sideFileKeys(flow, recording) == [stored.key], "the cut copy is not kept")

            // The whole file arrives: the retry lists the new copy and then deletes the old one.
            try second.write(to: URL(fileURLWithPath: flow.files + "/second.json"))
            flow.clock.advance(by: 3600)
            try await flow.runJobs()
            recording = try #require(try await flow.recordings("redo").first)
            let replaced = try #require(recording.assets.first { $0.kind == .summary })
            #expect(recording.assets.filter { $0.kind == .summary }.count == 1)
            #expect(replaced.key == recording.keyPrefix + Self.name(.summary, secondID, size: second.count))
            #expect(replaced.sizeBytes == Int64(second.count))
            #expect(try await flow.stored(replaced.key) == second)
            #expect(try await Self.sideFileKeys(flow, recording) == [replaced.key], "the old copy is deleted")

            // Redone again, and this time 100ms reports no size: copied all the same.
            let third = Data(#"{"sections":[]}"#.utf8)
            try third.write(to: URL(fileURLWithPath: flow.files + "/third.json"))
            flow.api.addAsset(hmsID, type: "summary", fileName: "third.json", size: nil, createdAt: Date(timeIntervalSince1970: 3))
            try await flow.catalog.transaction { tx in
                try await tx.jobs.enqueue(try HMSSideFilesJob.newJob(recordingID: id, reason: "webhook:third"))
            }
            try await flow.runJobs()
            recording = try #require(try await flow.recordings("redo").first)
            let latest = try #require(recording.assets.first { $0.kind == .summary })
            #expect(try await flow.stored(latest.key) == third)
            #expect(try await Self.sideFileKeys(flow, recording) == [latest.key])
        }
    }

    @Test(arguments: TestDatabase.all) func twoCopiesOfTheSameFileAtOnceLeaveOneWholeListedCopy(database: TestDatabase) async throws {
        try await HMSFlow.with(database: database) { flow in
            let (hmsID, _) = try await Self.completed(flow, room: "twice")
            try await flow.webhook("beam.recording.success", flow.beam("twice", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("twice").first)
            let chat = Data(String(repeating: "Ada,hello\n", count: 5000).utf8)
            try chat.write(to: URL(fileURLWithPath: flow.files + "/twice.csv"))
            flow.api.addAsset(hmsID, type: "chat", fileName: "twice.csv", size: Int64(chat.count))
            let job = HMSSideFilesJob(recorder: flow.recorder, store: flow.store, http: flow.dependencies.http)
            let queued = try #require(try await Self.queuedJob(flow, recording: recording.id))
            async let one: Void = job.run(queued, logger: TestLogger.make())
            async let two: Void = job.run(queued, logger: TestLogger.make())
            // One may lose a race with the other's cleanup and throw (the queue retries it).
            _ = await ((try? one) as Void?, (try? two) as Void?)
            try await job.run(queued, logger: TestLogger.make())
            let listed = try await flow.catalog.pool.assets.list(recordingID: recording.id).filter { $0.kind == .chat }
            #expect(listed.count == 1)
            let only = try #require(listed.first)
            #expect(try await flow.stored(only.key) == chat)
            #expect(try await Self.sideFileKeys(flow, recording) == [only.key])
        }
    }

    /// The worker stored the file and was killed before listing it; the recording was deleted
    /// meanwhile: the retry removes the copy (and one an earlier release left under its old name).
    @Test(arguments: TestDatabase.all) func aCopyStoredButNeverListedGoesWhenTheRecordingIsDeleted(database: TestDatabase) async throws {
        try await HMSFlow.with(database: database) { flow in
            let (hmsID, _) = try await Self.completed(flow, room: "killed")
            try await flow.webhook("beam.recording.success", flow.beam("killed", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("killed").first)
            let chat = Data("a,b\n".utf8)
            try chat.write(to: URL(fileURLWithPath: flow.files + "/killed.csv"))
            let chatID = flow.api.addAsset(hmsID, type: "chat", fileName: "killed.csv", size: Int64(chat.count))
            for name in [Self.name(.chat, chatID, size: chat.count), "summary.json"] {
                _ = try await flow.store.put(
                    try ObjectKey(recording.keyPrefix + name), body: [ByteBuffer(bytes: chat)].async, contentType: "text/csv")
            }
            #expect(try await Self.sideFileKeys(flow, recording).count == 2)
            _ = try await RecordingLifecycle.markDeleted(
                recording.id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            let job = HMSSideFilesJob(recorder: flow.recorder, store: flow.store, http: flow.dependencies.http)
            try await job.run(try #require(try await Self.queuedJob(flow, recording: recording.id)), logger: TestLogger.make())
            #expect(try await Self.sideFileKeys(flow, recording).isEmpty)
        }
    }

    /// Two side-file jobs copy the same chat (the `ready` one and a `transcription.success` one);
    /// one lists it, the recording is deleted, and the other's upload lands after the purge
    /// emptied the folder but before it dropped the asset rows. That late copy may not outlive
    /// the recording: nothing else would ever delete it.
    @Test(arguments: TestDatabase.all) func aCopyLandingWhileTheRecordingIsPurgedIsDeletedToo(database: TestDatabase) async throws {
        try await HMSFlow.with(database: database) { flow in
            let (hmsID, _) = try await Self.completed(flow, room: "purged")
            try await flow.webhook("beam.recording.success", flow.beam("purged", recordingID: hmsID))
            try await flow.runJobs()
            let recording = try #require(try await flow.recordings("purged").first)
            let chat = Data("Ada,hello\n".utf8)
            try chat.write(to: URL(fileURLWithPath: flow.files + "/purged.csv"))
            flow.api.addAsset(hmsID, type: "chat", fileName: "purged.csv", size: Int64(chat.count))
            let queued = try #require(try await Self.queuedJob(flow, recording: recording.id))

            let putReached = Gate(), putHeld = Gate()
            var slow = HeldObjectStore(flow.store)
            slow.beforePut = { _ in
                putReached.open()
                await putHeld.wait()
            }
            let late = Task { try await HMSSideFilesJob(recorder: flow.recorder, store: slow, http: flow.dependencies.http).run(queued, logger: TestLogger.make()) }
            try await putReached.wait(orEndOf: late)
            // The other job copies and lists the chat while the late one's upload is held.
            try await HMSSideFilesJob(recorder: flow.recorder, store: flow.store, http: flow.dependencies.http).run(queued, logger: TestLogger.make())
            #expect(try await flow.catalog.pool.assets.list(recordingID: recording.id).contains { $0.kind == .chat })

            _ = try await RecordingLifecycle.markDeleted(
                recording.id, actor: "test", cause: "test", catalog: flow.catalog, scheduler: flow.dependencies.scheduler)
            let purgeReached = Gate(), purgeHeld = Gate()
            var purging = HeldObjectStore(flow.store)
            purging.afterDeletePrefix = { _ in
                purgeReached.open()
                await purgeHeld.wait()
            }
            let purgeJob = try #require(try await Self.queuedJob(flow, kind: PurgeRecordingObjectsJob.kind))
            let purge = Task { try await PurgeRecordingObjectsJob(catalog: flow.catalog, store: purging).run(purgeJob, logger: TestLogger.make()) }
            try await purgeReached.wait(orEndOf: purge)
            #expect(try await Self.sideFileKeys(flow, recording).isEmpty, "the purge emptied the folder")
            putHeld.open()
            // Its transaction finds the recording deleted (its copy still listed, for the purge has
            // not dropped the rows): it deletes its copy, or throws and is retried.
            _ = try? await late.value
            purgeHeld.open()
            try await purge.value
            #expect(try await flow.catalog.pool.assets.list(recordingID: recording.id).isEmpty)
            #expect(try await Self.sideFileKeys(flow, recording).isEmpty, "no copy outlives the recording")
        }
    }

    static func queuedJob(_ flow: HMSFlow, recording: UUID) async throws -> Job? {
        try await queuedJob(flow, kind: HMSSideFilesJob.kind)
    }

    /// The newest job of `kind`, whatever its state.
    static func queuedJob(_ flow: HMSFlow, kind: String) async throws -> Job? {
        let row = try await flow.catalog.pool.sql.raw(
            "SELECT id FROM jobs WHERE kind = \(bind: kind) ORDER BY id DESC LIMIT 1").first()
        guard let id = try row?.decode(column: "id", as: Int64.self) else { return nil }
        return try await flow.catalog.pool.jobs.find(id: id)
    }

    @Test func extensionsAreTapedecksAndOnlyFormats100msWrites() {
        #expect(HMSSideFilesJob.fileExtension(.chat, path: "s3://b/x/chat.CSV") == "csv")
        #expect(HMSSideFilesJob.fileExtension(.chat, path: "s3://b/x/chat.html") == "csv")
        #expect(HMSSideFilesJob.fileExtension(.summary, path: "s3://b/x/summary.txt") == "txt")
        #expect(HMSSideFilesJob.fileExtension(.summary, path: nil) == "json")
        // Asset ids and paths are 100ms' strings: none reaches the name; each id its own name.
        var names = Set<String>()
        for hostile in HostileStrings.all {
            let name = Self.name(.chat, hostile, size: 3, path: hostile)
            #expect(name.wholeMatch(of: /chat-[0-9a-f]{12}\.(csv|json|txt)/) != nil, "\(name)")
            names.insert(name)
        }
        #expect(names.count == Set(HostileStrings.all.map { Array($0.utf8) }).count, "one name per id, byte for byte")
        #expect(Self.name(.summary, "a", size: 3) != Self.name(.summary, "a", size: 4), "a file redone under the same id")
        // One per kind, the newest; unfinished ones are not copied.
        let old = HMSAsset(id: "a", type: "chat", status: "completed", createdAt: Date(timeIntervalSince1970: 1))
        let new = HMSAsset(id: "b", type: "chat", status: "completed", createdAt: Date(timeIntervalSince1970: 2))
        let failed = HMSAsset(id: "c", type: "summary", status: "failed")
        #expect(HMSSideFilesJob.sideFiles(in: [new, old, failed]).map(\.1.id) == ["b"])
    }
}

/// Pauses confirmed by 100ms are kept on the recording.
@Suite("100ms pauses")
struct HMSPauseTests {
    @Test func aPauseAndResumeAreKeptAsAStretchAndTheRecordingSaysItIsPaused() async throws {
        try await HMSFlow.with { flow in
            try await flow.recordingWithAda(room: "paused")
            var recording = try #require(try await flow.recordings("paused").first)
            #expect(recording.status == .recording && recording.pausedAt == nil)
            let pausedAt = flow.clock.now()
            try await flow.recorder.setPaused(true, recording: recording, actor: "api_key:test")
            try await flow.recorder.setPaused(true, recording: recording, actor: "api_key:test")
            recording = try #require(try await flow.recordings("paused").first)
            #expect(recording.pausedAt?.millisecondsSince1970 == pausedAt.millisecondsSince1970)
            flow.clock.advance(by: 20)
            try await flow.recorder.setPaused(false, recording: recording, actor: "api_key:test")
            recording = try #require(try await flow.recordings("paused").first)
            #expect(recording.pausedAt == nil)
            #expect(recording.pauses == [PausedStretch(startMs: pausedAt.millisecondsSince1970, endMs: pausedAt.millisecondsSince1970 + 20_000)])
            let events = try await flow.catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 100)
            #expect(events.filter { $0.type == "recording.paused" }.map { HMSSideFilesTests.field($0, "changed") } == ["true", "false"])
            #expect(flow.api.pauseRequests.map(\.paused) == [true, true, false])
        }
    }
}
