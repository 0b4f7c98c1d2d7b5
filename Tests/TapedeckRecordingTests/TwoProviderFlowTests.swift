import Foundation
import HMS
import ObjectStorage
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckRecording

/// LiveKit and 100ms side by side, as a worker configured with both runs them: one catalog, one
/// store, one job queue. A room name used on both is two rooms, each recorded on its own.
@Suite("LiveKit and 100ms rooms of one name")
struct TwoProviderFlowTests {
    static func with(_ body: @Sendable (RecordingFlow, HMSFlow) async throws -> Void) async throws {
        let policy = RecordingPolicy()
        try await FlowWorld.with(policy: policy) { world in
            try await HMSFlow.serving(world) { files, server in
                var world = world
                let (livekitAPI, livekit) = RecordingFlow.parts(world, policy: policy)
                let (hmsAPI, hms) = HMSFlow.parts(world, policy: policy, fileBaseURL: server.baseURL)
                world.dependencies.livekit = livekit
                world.dependencies.hms = hms
                try await body(
                    RecordingFlow(world, api: livekitAPI, recorder: livekit), HMSFlow(world, api: hmsAPI, recorder: hms, files: files))
            }
        }
    }

    /// The hostile names both providers' webhooks keep (no control characters, at most 256
    /// characters), once each as Swift compares them: the fakes key rooms by Swift strings, which
    /// equate canonically equivalent names (the two spellings of café), as the catalog does not.
    static let hostileNames: [String] = HostileStrings.all.reduce(into: []) { names, name in
        if !name.isEmpty, name.unicodeScalars.count <= 256, !ProviderText.hasControlCharacters(name), !names.contains(name) {
            names.append(name)
        }
    }

    static let names = ["standup", hostileNames.first { $0.contains("DROP TABLE") } ?? "missing"]

    @Test("both sessions are recorded, at once, each into its own recording and objects", arguments: names)
    func bothRecorded(name: String) async throws {
        try await Self.with { livekit, hms in
            // setup: a LiveKit session with ada and, meanwhile, a 100ms session with bob, both recording.
            livekit.api.openRoom(name)
            try await livekit.webhook("room_started", room: name)
            try await livekit.join(name, "ada")
            try await hms.webhook("session.open.success", hms.room(name))
            try await hms.webhook("peer.join.success", hms.peer(name, "bob"))
            try await livekit.runJobs()
            let egressID = try #require(livekit.api.startedEgressIDs.only, "one egress for the LiveKit room")
            let hmsID = try #require(hms.api.recordingIDs.only, "one 100ms recorder for the 100ms room")
            #expect(hms.api.startRequests.map(\.roomID) == ["id-\(name)"])
            let active = try await livekit.recordings(name)
            #expect(Set(active.map(\.provider)) == ["livekit", "100ms"] && active.allSatisfy(\.status.isActive))

            // action: each provider's session runs its course.
            try await livekit.webhook("egress_started", room: name, egress: livekit.api.info(egressID))
            hms.api.set(hmsID, .running)
            try await hms.webhook("beam.started.success", hms.beam(name, recordingID: hmsID))
            try await livekit.leave(name, "ada")
            try await hms.webhook("peer.leave.success", hms.peer(name, "bob"))
            try await livekit.runJobs()
            #expect(livekit.api.stopRequests == [egressID] && hms.api.stopRequests == [hmsID])
            try await livekit.egressEnds(egressID, room: name)
            let file = try hms.recordedFile("composite.mp4", bytes: 200_000)
            hms.api.complete(hmsID, fileName: "composite.mp4", size: Int64(file.count))
            try await hms.webhook("beam.recording.success", hms.beam(name, recordingID: hmsID))
            try await livekit.runJobs()

            // check: two rooms, two sessions, two ready recordings whose objects share nothing.
            let rooms = try await livekit.catalog.pool.rooms.all(named: name)
            #expect(rooms.map(\.provider) == ["100ms", "livekit"])
            #expect(rooms.map(\.providerRoomID) == ["id-\(name)", nil])
            let recordings = try await livekit.recordings(name)
            try #require(recordings.count == 2)
            let fromLiveKit = try #require(recordings.first { $0.provider == "livekit" })
            let fromHMS = try #require(recordings.first { $0.provider == "100ms" })
            #expect(fromLiveKit.status == .ready && fromHMS.status == .ready)
            #expect(fromLiveKit.providerRecordingID == egressID && fromHMS.providerRecordingID == hmsID)
            #expect(fromLiveKit.roomID == rooms[1].id && fromHMS.roomID == rooms[0].id)
            #expect(fromLiveKit.sessionID != fromHMS.sessionID)
            #expect(!fromLiveKit.keyPrefix.hasPrefix(fromHMS.keyPrefix) && !fromHMS.keyPrefix.hasPrefix(fromLiveKit.keyPrefix))
            for recording in recordings {
                #expect(!recording.assets.isEmpty)
                #expect(recording.assets.allSatisfy { $0.key.hasPrefix(recording.keyPrefix) })
            }
            #expect(Set(fromLiveKit.assets.map(\.key)).isDisjoint(with: fromHMS.assets.map(\.key)))
            let mp4 = try #require(fromHMS.assets.first { $0.kind == .mp4 })
            #expect(try await hms.stored(mp4.key) == file, "100ms' file, byte-identical")
            let hls = try #require(fromLiveKit.assets.first { $0.kind == .hls })
            #expect((try? await livekit.store.head(try ObjectKey(hls.key))) != nil, "LiveKit's playlist is stored")
            let participants = { (recording: Recording) in
                try await livekit.catalog.pool.participants.list(sessionID: try #require(recording.sessionID)).map(\.identity)
            }
            #expect(try await participants(fromLiveKit) == ["ada"])
            #expect(try await participants(fromHMS) == ["bob"])
        }
    }

    @Test("every hostile name on both providers is two rooms, each starting its own recording")
    func hostileNamesAreTwoRooms() async throws {
        try await Self.with { livekit, hms in
            for (index, name) in Self.hostileNames.enumerated() {
                livekit.api.openRoom(name)
                try await livekit.join(name, "ada")
                // 100ms' own ids are short, whatever the room's name.
                var bob = hms.peer(name, "bob")
                bob.roomID = "room-\(index)"
                bob.sessionID = "session-\(index)"
                try await hms.webhook("peer.join.success", bob)
            }
            try await livekit.runJobs(limit: 1000)
            #expect(livekit.api.startedEgressIDs.count == Self.hostileNames.count)
            #expect(hms.api.recordingIDs.count == Self.hostileNames.count)
            for name in Self.hostileNames {
                let rooms = try await livekit.catalog.pool.rooms.all(named: name)
                #expect(rooms.map(\.provider) == ["100ms", "livekit"], "\(name.debugDescription)")
                let recordings = try await livekit.recordings(name)
                #expect(recordings.map(\.provider).sorted() == ["100ms", "livekit"], "\(name.debugDescription)")
                #expect(Set(recordings.map(\.roomID)) == Set(rooms.map(\.id)), "\(name.debugDescription)")
            }
        }
    }

    @Test("one provider's reconciler and room end leave the other's session of that name open")
    func sessionsStayApart() async throws {
        try await Self.with { livekit, hms in
            let name = "office-hours"
            let open = { (provider: String) in
                guard let room = try await livekit.catalog.pool.rooms.find(name: name, provider: provider) else { return false }
                return try await livekit.catalog.pool.sessions.open(roomID: room.id, provider: provider) != nil
            }
            // setup: a 100ms session, long open, of a name LiveKit has no room of.
            try await hms.webhook("session.open.success", hms.room(name))
            livekit.clock.advance(by: 3600)

            // LiveKit's reconciler closes the sessions of LiveKit rooms LiveKit no longer has; this one is not LiveKit's.
            try await livekit.recorder.reconcile()
            #expect(try await open("100ms"))

            // LiveKit's room of that name comes and goes; 100ms' goes on, and still records.
            livekit.api.openRoom(name)
            try await livekit.webhook("room_started", room: name)
            #expect(try await open("livekit"))
            #expect(try await open("100ms"))
            livekit.api.closeRoom(name)
            try await livekit.webhook("room_finished", room: name)
            #expect(try await !open("livekit"))
            #expect(try await open("100ms"))
            try await hms.webhook("peer.join.success", hms.peer(name, "bob"))
            try await hms.runJobs()
            #expect(hms.api.recordingIDs.count == 1, "the 100ms session records")
        }
    }
}
