import Foundation
import LiveKit
import Synchronization

/// LiveKit's server API in memory, for flow tests without a LiveKit server: rooms and who is in
/// them, egresses started with their requests, and a way for a test to end an egress as LiveKit
/// would (writing the files its request names, for a local-folder destination).
///
/// The wire format is proven elsewhere (the SDK's vectors and the end-to-end stand-in); this is
/// only the behaviour the recorder relies on.
public final class FakeLiveKitAPI: LiveKitAPI, Sendable {
    struct State {
        var rooms: [String: RoomInfo] = [:]
        var people: [String: [ParticipantInfo]] = [:]
        var egresses: [String: EgressInfo] = [:]
        var requests: [String: RoomCompositeEgressRequest] = [:]
        var startOrder: [String] = []
        var stops: [String] = []
        var failNextStarts = 0
        var unreachable = false
        var next = 0
    }

    private let state = Mutex(State())
    /// Where paths under `remoteRoot` (as egress sees its output folder) are on this machine.
    public let remoteRoot: String
    public let localRoot: String

    public init(remoteRoot: String = "/out", localRoot: String) {
        self.remoteRoot = remoteRoot
        self.localRoot = localRoot
    }

    // MARK: The test's side

    public func openRoom(_ name: String, sid: String? = nil) {
        state.withLock { state in
            state.next += 1
            state.rooms[name] = RoomInfo(sid: sid ?? "RM_\(state.next)", name: name, creationTime: 1_767_225_600)
            state.people[name] = state.people[name] ?? []
        }
    }

    public func closeRoom(_ name: String) {
        state.withLock { state in
            state.rooms[name] = nil
            state.people[name] = nil
        }
    }

    public func join(_ room: String, _ identity: String) {
        state.withLock { $0.people[room, default: []].append(ParticipantInfo(identity: identity, kind: .standard)) }
    }

    public func leave(_ room: String, _ identity: String) {
        state.withLock { $0.people[room]?.removeAll { $0.identity == identity } }
    }

    /// The next `count` starts fail as if LiveKit were overloaded.
    public func failNextStarts(_ count: Int) { state.withLock { $0.failNextStarts = count } }

    /// Every call fails as if LiveKit could not be reached.
    public func setUnreachable(_ unreachable: Bool) { state.withLock { $0.unreachable = unreachable } }

    public var startedEgressIDs: [String] { state.withLock { $0.startOrder } }
    public var stopRequests: [String] { state.withLock { $0.stops } }

    public func request(of egressID: String) -> RoomCompositeEgressRequest? { state.withLock { $0.requests[egressID] } }

    public func info(_ egressID: String) -> EgressInfo? { state.withLock { $0.egresses[egressID] } }

    /// Ends the egress as complete: writes a two-segment HLS playlist where its request asked
    /// (under `localRoot`) and reports it, as LiveKit's `egress_ended` would.
    @discardableResult
    public func complete(_ egressID: String, segmentBytes: Int = 1_000) throws -> EgressInfo {
        guard let request = request(of: egressID), var info = info(egressID) else { throw TwirpError.notFound(egressID) }
        var results: [SegmentsResult] = []
        for output in request.segmentOutputs {
            let playlistPath = local(output.playlistName)
            let folder = (playlistPath as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let prefix = (output.filenamePrefix as NSString).lastPathComponent
            var playlist = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n"
            for index in 0..<2 {
                let name = "\(prefix)_0000\(index).ts"
                try Data(repeating: UInt8(index + 1), count: segmentBytes).write(to: URL(fileURLWithPath: folder + "/" + name))
                playlist += "#EXTINF:6.000,\n\(name)\n"
            }
            playlist += "#EXT-X-ENDLIST\n"
            try playlist.write(toFile: playlistPath, atomically: true, encoding: .utf8)
            results.append(
                SegmentsResult(
                    playlistName: output.playlistName, durationNs: 12_000_000_000, size: Int64(2 * segmentBytes), segmentCount: 2,
                    playlistLocation: output.playlistName, startedAtNs: 1_767_225_600_000_000_000,
                    endedAtNs: 1_767_225_612_000_000_000))
        }
        info.status = .complete
        info.segmentResults = results
        info.endedAtNs = 1_767_225_612_000_000_000
        let ended = info
        state.withLock { $0.egresses[egressID] = ended }
        return ended
    }

    /// Ends the egress as failed, with LiveKit's reason.
    @discardableResult
    public func fail(_ egressID: String, error: String) -> EgressInfo? {
        state.withLock { state in
            state.egresses[egressID]?.status = .failed
            state.egresses[egressID]?.error = error
            return state.egresses[egressID]
        }
    }

    /// Forgets an egress, as LiveKit does some time after it ended.
    public func forget(_ egressID: String) { state.withLock { _ = $0.egresses.removeValue(forKey: egressID) } }

    private func local(_ remotePath: String) -> String {
        let base = remoteRoot.hasSuffix("/") ? remoteRoot : remoteRoot + "/"
        return localRoot + "/" + (remotePath.hasPrefix(base) ? String(remotePath.dropFirst(base.count)) : remotePath)
    }

    // MARK: LiveKitAPI

    public func startRoomCompositeEgress(_ request: RoomCompositeEgressRequest) async throws -> EgressInfo {
        try state.withLock { state in
            if state.unreachable { throw TwirpError.unreachable }
            if state.failNextStarts > 0 {
                state.failNextStarts -= 1
                throw TwirpError(code: "unavailable", message: "egress is overloaded", httpStatus: 503)
            }
            guard state.rooms[request.roomName] != nil else { throw TwirpError.notFound(request.roomName) }
            state.next += 1
            let id = "EG_\(state.next)"
            let info = EgressInfo(
                egressID: id, roomName: request.roomName, status: .active, startedAtNs: 1_767_225_600_000_000_000,
                roomCompositePaths: request.segmentOutputs.map(\.playlistName) + request.fileOutputs.map(\.filepath))
            state.egresses[id] = info
            state.requests[id] = request
            state.startOrder.append(id)
            return info
        }
    }

    public func stopEgress(id: String) async throws -> EgressInfo {
        try state.withLock { state in
            if state.unreachable { throw TwirpError.unreachable }
            guard let info = state.egresses[id] else { throw TwirpError.notFound(id) }
            state.stops.append(id)
            guard !info.status.hasEnded else {
                throw TwirpError(code: "failed_precondition", message: "egress \(id) has ended", httpStatus: 412)
            }
            state.egresses[id]?.status = .ending
            return state.egresses[id]!
        }
    }

    public func listEgress(roomName: String?, egressID: String?, activeOnly: Bool) async throws -> [EgressInfo] {
        try state.withLock { state in
            if state.unreachable { throw TwirpError.unreachable }
            return state.egresses.values.filter { info in
                (roomName == nil || info.roomName == roomName) && (egressID == nil || info.egressID == egressID)
                    && (!activeOnly || !info.status.hasEnded)
            }.sorted { $0.egressID < $1.egressID }
        }
    }

    public func updateLayout(egressID: String, layout: String) async throws -> EgressInfo {
        try state.withLock { state in
            guard let info = state.egresses[egressID] else { throw TwirpError.notFound(egressID) }
            return info
        }
    }

    public func listRooms(names: [String]?) async throws -> [RoomInfo] {
        try state.withLock { state in
            if state.unreachable { throw TwirpError.unreachable }
            return state.rooms.values.filter { names == nil || names!.contains($0.name) }.sorted { $0.name < $1.name }
        }
    }

    public func listParticipants(room: String) async throws -> [ParticipantInfo] {
        try state.withLock { state in
            if state.unreachable { throw TwirpError.unreachable }
            guard let people = state.people[room] else { throw TwirpError.notFound(room) }
            return people
        }
    }
}

extension TwirpError {
    static func notFound(_ what: String) -> TwirpError { TwirpError(code: "not_found", message: "\(what) not found", httpStatus: 404) }
    static let unreachable = TwirpError(code: "unavailable", message: "connection refused", httpStatus: 503)
}
