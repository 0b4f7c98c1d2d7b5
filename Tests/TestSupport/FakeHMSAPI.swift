import Foundation
import HMS
import Synchronization

/// 100ms' server API in memory, for flow tests: recordings started and stopped per room, moved
/// through 100ms' states by the test, and assets whose presigned URLs point at a folder served
/// over HTTP (``StaticFileServer``). The wire format is proven against the end-to-end stand-in;
/// this is only the behaviour the recorder relies on.
public final class FakeHMSAPI: HMSAPI, Sendable {
    struct State {
        var recordings: [String: HMSRecording] = [:]
        var order: [String] = []
        var assets: [String: HMSAsset] = [:]
        var files: [String: String] = [:]
        var starts: [(String, HMSStartRequest)] = []
        var stops: [String] = []
        var pauses: [(String, Bool)] = []
        var presigned = 0
        var failNextStarts = 0
        var next = 0
    }

    private let state = Mutex(State())
    /// Run after a pause or resume reaches 100ms and before it answers (see ``beforePauseAnswers(_:)``).
    private let pauseAnswerHook = Mutex<(@Sendable (_ paused: Bool) async -> Void)?>(nil)
    /// Where presigned URLs point: `<fileBaseURL>/<file name>`.
    public let fileBaseURL: String

    public init(fileBaseURL: String) {
        self.fileBaseURL = fileBaseURL
    }

    // MARK: The test's side

    public var startRequests: [(roomID: String, request: HMSStartRequest)] { state.withLock { $0.starts.map { ($0.0, $0.1) } } }
    public var stopRequests: [String] { state.withLock { $0.stops } }
    /// Room ids asked to pause (`true`) or resume (`false`), in order.
    public var pauseRequests: [(roomID: String, paused: Bool)] { state.withLock { $0.pauses.map { ($0.0, $0.1) } } }
    public var presignedCount: Int { state.withLock { $0.presigned } }
    public var recordingIDs: [String] { state.withLock { $0.order } }

    /// Every pause and resume from now on is applied when it arrives and answered only after
    /// `hook` returns: a test delays answers (or moves its clock) to play a slow 100ms.
    public func beforePauseAnswers(_ hook: @escaping @Sendable (_ paused: Bool) async -> Void) {
        pauseAnswerHook.withLock { $0 = hook }
    }

    public func failNextStarts(_ count: Int) { state.withLock { $0.failNextStarts = count } }

    public func set(_ id: String, _ status: HMSRecording.Status) {
        state.withLock { $0.recordings[id]?.status = status }
    }

    /// 100ms finished the recording: its composite MP4 is `fileName` (served from the folder).
    /// `path` is where 100ms says it wrote the file (its own bucket unless the template names the customer's).
    public func complete(_ id: String, fileName: String, size: Int64, duration: Double = 12, path: String? = nil) {
        state.withLock { state in
            guard var recording = state.recordings[id] else { return }
            state.next += 1
            let asset = HMSAsset(
                id: "asset_\(state.next)", jobID: id, roomID: recording.roomID, sessionID: recording.sessionID, type: "room-composite",
                status: "completed", path: path ?? "s3://hms-bucket/\(fileName)", size: size, duration: duration)
            state.assets[asset.id] = asset
            state.files[asset.id] = fileName
            recording.status = .completed
            recording.assetTypes = ["room-composite"]
            recording.assets = [asset]
            state.recordings[id] = recording
        }
    }

    /// 100ms also made a transcript of the recording (`mode` json or srt), served from `fileName`.
    public func addTranscript(_ id: String, fileName: String, mode: String) {
        state.withLock { state in
            guard var recording = state.recordings[id] else { return }
            state.next += 1
            var asset = HMSAsset(
                id: "asset_\(state.next)", jobID: id, roomID: recording.roomID, sessionID: recording.sessionID, type: "transcript",
                status: "completed", path: "s3://hms-bucket/\(fileName)")
            asset.outputMode = mode
            state.assets[asset.id] = asset
            state.files[asset.id] = fileName
            recording.assetTypes += ["transcript"]
            recording.assets = (recording.assets ?? []) + [asset]
            state.recordings[id] = recording
        }
    }

    /// 100ms also made a file of `type` (`chat`, `summary`) for the recording, served from
    /// `fileName`; `size` is what 100ms reports (nil: not reported). Returns the asset id.
    @discardableResult
    public func addAsset(
        _ id: String, type: String, fileName: String, size: Int64?, path: String? = nil, createdAt: Date? = nil
    ) -> String {
        state.withLock { state in
            guard var recording = state.recordings[id] else { return "" }
            state.next += 1
            let asset = HMSAsset(
                id: "asset_\(state.next)", jobID: id, roomID: recording.roomID, sessionID: recording.sessionID, type: type,
                status: "completed", path: path ?? "s3://hms-bucket/\(fileName)", size: size, createdAt: createdAt)
            state.assets[asset.id] = asset
            state.files[asset.id] = fileName
            if !recording.assetTypes.contains(type) { recording.assetTypes += [type] }
            recording.assets = (recording.assets ?? []) + [asset]
            state.recordings[id] = recording
            return asset.id
        }
    }

    // MARK: HMSAPI

    public func startRecording(roomID: String, _ request: HMSStartRequest) async throws -> HMSRecording {
        try state.withLock { state in
            if state.failNextStarts > 0 {
                state.failNextStarts -= 1
                throw HMSError(status: 503, message: "recorder capacity exhausted")
            }
            if state.recordings.values.contains(where: { $0.roomID == roomID && [.starting, .running].contains($0.status) }) {
                throw HMSError(status: 409, message: "recording already running in room")
            }
            state.next += 1
            let recording = HMSRecording(id: "rec_\(state.next)", roomID: roomID, sessionID: "sess_\(roomID)", status: .starting)
            state.recordings[recording.id] = recording
            state.order.append(recording.id)
            state.starts.append((roomID, request))
            return recording
        }
    }

    public func stopRecordings(roomID: String) async throws -> [HMSRecording] {
        let ids = state.withLock { state in state.recordings.values.filter { $0.roomID == roomID }.map(\.id) }
        var stopped: [HMSRecording] = []
        for id in ids { stopped.append(try await stopRecording(id: id)) }
        return stopped
    }

    public func pauseRecordings(roomID: String) async throws -> [HMSRecording] {
        try await answerPause(true, roomID: roomID)
    }

    public func resumeRecordings(roomID: String) async throws -> [HMSRecording] {
        try await answerPause(false, roomID: roomID)
    }

    private func answerPause(_ paused: Bool, roomID: String) async throws -> [HMSRecording] {
        let result = Result { try setPaused(paused, roomID: roomID) }
        if let hook = pauseAnswerHook.withLock({ $0 }) { await hook(paused) }
        return try result.get()
    }

    /// As 100ms: 404 when nothing in the room is running.
    private func setPaused(_ paused: Bool, roomID: String) throws -> [HMSRecording] {
        try state.withLock { state in
            state.pauses.append((roomID, paused))
            let running = state.recordings.values.filter { $0.roomID == roomID && $0.status == .running }
            guard !running.isEmpty else { throw HMSError(status: 404, message: "no recording found") }
            return running
        }
    }

    public func stopRecording(id: String) async throws -> HMSRecording {
        try state.withLock { state in
            guard var recording = state.recordings[id] else { throw HMSError(status: 404, message: "recording not found") }
            state.stops.append(id)
            guard [.starting, .running].contains(recording.status) else {
                throw HMSError(status: 400, message: "recording is not running")
            }
            recording.status = .stopping
            state.recordings[id] = recording
            return recording
        }
    }

    public func recording(id: String) async throws -> HMSRecording {
        try state.withLock { state in
            guard let recording = state.recordings[id] else { throw HMSError(status: 404, message: "recording not found") }
            return recording
        }
    }

    public func recordings(roomID: String?, sessionID: String?, status: String?) async throws -> [HMSRecording] {
        state.withLock { state in
            state.order.compactMap { state.recordings[$0] }.filter { roomID == nil || $0.roomID == roomID }.map {
                var listed = $0
                listed.assets = nil  // list answers carry no assets
                return listed
            }
        }
    }

    public func assets(roomID: String?, sessionID: String?) async throws -> [HMSAsset] {
        state.withLock { state in state.assets.values.filter { roomID == nil || $0.roomID == roomID }.sorted { $0.id < $1.id } }
    }

    public func asset(id: String) async throws -> HMSAsset {
        try state.withLock { state in
            guard let asset = state.assets[id] else { throw HMSError(status: 404, message: "asset not found") }
            return asset
        }
    }

    public func presignedURL(assetID: String, lifetime: Int) async throws -> HMSPresignedURL {
        try state.withLock { state in
            guard let file = state.files[assetID] else { throw HMSError(status: 404, message: "asset not found") }
            state.presigned += 1
            return HMSPresignedURL(id: assetID, url: fileBaseURL + "/" + file, expiry: Date().addingTimeInterval(Double(lifetime)))
        }
    }
}
