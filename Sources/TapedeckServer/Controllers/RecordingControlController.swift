import Foundation
import HTTPTypes
import Hummingbird
import LiveKit
import Media
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `POST /v1/recordings` and `POST /v1/recordings/{id}/stop`: manual control, both idempotent.
struct RecordingControlController {
    let catalog: Catalog
    let recorder: LiveKitRecorder?
    let localRecorder: LocalRecorder
    let defaultPolicy: RecordingPolicy
    let maxBody: Int

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.post("/recordings", use: start)
        group.post("/recordings/{id}/stop", use: stop)
    }

    struct StartBody: Decodable {
        var room: String
        var layout: String?
        var audioOnly: Bool?
        var outputs: [RecordingPolicy.Output]?
        var maxDurationS: Int?
        var title: String?
        /// `livekit` (the default) or `local`.
        var provider: String?
        /// What the local recorder records.
        var input: String?
        /// For `local`: identities that took part and may watch.
        var participants: [String]?

        enum CodingKeys: String, CodingKey {
            case room, layout, audioOnly = "audio_only", outputs, maxDurationS = "max_duration_s", title, provider, input,
                participants
        }
    }

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    func requireRecorder() throws -> LiveKitRecorder {
        guard let recorder else {
            throw APIError.unavailable(
                "LiveKit is not configured: set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET", retryAfterSeconds: 3600)
        }
        return recorder
    }

    @Sendable func start(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        let principal = try context.requireAdmin()
        let body = try await request.decodeJSON(as: StartBody.self, limit: maxBody)
        let provider = body.provider ?? LiveKitRecorder.provider
        guard provider == LiveKitRecorder.provider || provider == LocalRecorder.provider else {
            throw APIError.invalid("provider", "provider must be livekit or local")
        }
        let recorder = provider == LiveKitRecorder.provider ? try requireRecorder() : nil
        let room = body.room
        guard !room.isEmpty, room.unicodeScalars.count <= 256 else { throw APIError.invalid("room", "room must be 1 to 256 characters") }
        try APIError.requirePlainText(room, field: "room")
        try APIError.requirePlainText(body.title, field: "title")
        if let title = body.title, title.unicodeScalars.count > 300 { throw APIError.invalid("title", "title must be at most 300 characters") }
        let key = request.headers[Self.idempotencyKey]
        if let key {
            guard (1...200).contains(key.utf8.count) else {
                throw APIError.invalid("Idempotency-Key", "Idempotency-Key must be 1 to 200 bytes")
            }
            if let earlier = try await catalog.pool.recordings.find(requestKey: key) {
                return JSONResponse(RecordingRepresentation(recording: earlier), status: .ok)
            }
        }
        guard let recorder else { return try await startLocal(body, principal: principal, requestKey: key) }
        if body.input != nil { throw APIError.invalid("input", "input is only for provider local") }
        if body.participants != nil { throw APIError.invalid("participants", "participants are only for provider local") }
        // The room's own policy, with this request's choices on top.
        let stored = try await catalog.pool.rooms.find(name: room)
        var policy = defaultPolicy
        do {
            if let stored { policy = try recorder.policy(of: stored) }
        } catch {
            throw APIError(.conflict, code: "room_policy_unreadable", message: error.description, field: "room")
        }
        if let layout = body.layout { policy.layout = layout }
        if let audioOnly = body.audioOnly { policy.audioOnly = audioOnly }
        if let outputs = body.outputs { policy.outputs = outputs }
        if let max = body.maxDurationS { policy.maxDurationS = max }
        if let problem = policy.validationError() { throw APIError.invalid(problem.field, problem.message) }

        // Refuse at once for a room LiveKit does not have, rather than failing later.
        let rooms: [RoomInfo]
        do {
            rooms = try await recorder.api.listRooms(names: [room])
        } catch {
            throw APIError.unavailable("LiveKit did not answer: \(error)", retryAfterSeconds: 10)
        }
        guard let live = rooms.first(where: { $0.name == room }) else {
            throw APIError(.notFound, code: "room_not_found", message: "LiveKit has no active room named \(room)", field: "room")
        }
        let now = catalog.clock.now()
        let plan = EgressPlan(policy: policy)
        let maxDurationS = policy.maxDurationS
        let result = try await catalog.transaction { tx -> (Recording?, Recording?) in
            let (roomRow, session) = try await recorder.ensureSession(
                tx, roomName: room, roomSID: live.sid,
                at: live.creationTime.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? now)
            let started = try await recorder.requestStart(
                tx, room: roomRow, session: session, plan: plan, maxDurationS: maxDurationS,
                requestedBy: principal.actor, requestKey: key, title: body.title)
            return (started, started == nil ? try await tx.recordings.active(roomID: roomRow.id) : nil)
        }
        guard let recording = result.0 else {
            throw APIError.conflict(
                "recording_active", "room \(room) is already being recorded (recording \(result.1?.id.uuidString.lowercased() ?? "?"))")
        }
        recorder.wakeup.signal()
        return JSONResponse(RecordingRepresentation(recording: recording), status: .accepted)
    }

    /// Starts the local recorder on `input`.
    func startLocal(_ body: StartBody, principal: Principal, requestKey: String?) async throws -> JSONResponse<RecordingRepresentation> {
        for (field, present) in [("layout", body.layout != nil), ("audio_only", body.audioOnly != nil), ("outputs", body.outputs != nil)]
        where present {
            throw APIError.invalid(field, "\(field) is only for provider livekit")
        }
        guard let input = body.input else { throw APIError.invalid("input", "input is required for provider local") }
        if case .failure(let problem) = RecorderInput.parse(input) { throw APIError.invalid("input", problem.description) }
        if let max = body.maxDurationS, !(1...604_800).contains(max) {
            throw APIError.invalid("max_duration_s", "max_duration_s must be from 1 to 604800")
        }
        let participants = body.participants ?? []
        guard participants.count <= 100,
            participants.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.count <= ViewerToken.maximumIdentityLength
                && !$0.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) })
        else { throw APIError.invalid("participants", "participants must be at most 100 identities of 1 to 256 characters") }
        let start = LocalRecorder.Start(
            room: body.room, input: input, maxDurationS: body.maxDurationS, title: body.title,
            participants: Array(Set(participants)).sorted(), requestedBy: principal.actor, requestKey: requestKey)
        let recording = try await catalog.transaction { tx in try await localRecorder.start(tx, start) }
        guard let recording else {
            throw APIError.conflict("recording_active", "room \(body.room) is already being recorded")
        }
        localRecorder.wakeup.signal()
        return JSONResponse(RecordingRepresentation(recording: recording), status: .accepted)
    }

    @Sendable func stop(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        let principal = try context.requireAdmin()
        let id = try context.uuidParameter("id")
        guard let recording = try await catalog.pool.recordings.find(id: id) else { throw APIError.notFound("recording") }
        guard recording.status.isActive else {
            // Stopping a stopped recording is not an error: the caller's goal is met.
            return JSONResponse(RecordingRepresentation(recording: recording), status: .ok)
        }
        if recording.provider == LocalRecorder.provider {
            try await catalog.transaction { tx in
                try await localRecorder.requestStop(tx, recording: recording, reason: "stopped through the API", actor: principal.actor)
            }
        } else {
            let recorder = try requireRecorder()
            try await catalog.transaction { tx in
                try await recorder.requestStop(tx, recording: recording, reason: "stopped through the API", actor: principal.actor)
            }
            recorder.wakeup.signal()
        }
        let current = try await catalog.pool.recordings.find(id: id) ?? recording
        return JSONResponse(RecordingRepresentation(recording: current), status: .accepted)
    }
}
