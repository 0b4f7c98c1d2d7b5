import Foundation
import HTTPTypes
import Hummingbird
import LiveKit
import Media
import TapedeckCore
import TapedeckStore
import TapedeckRecording

/// `POST /v1/recordings`, `POST /v1/recordings/{id}/stop`, `/pause` and `/resume`: manual
/// control, all idempotent.
struct RecordingControlController {
    let catalog: Catalog
    let providers: RecordingProviders
    let maxBody: Int

    func register(on group: RouterGroup<TapedeckRequestContext>) {
        group.post("/recordings", use: start)
        group.post("/recordings/{id}/stop", use: stop)
        group.post("/recordings/{id}/pause", use: pause)
        group.post("/recordings/{id}/resume", use: resume)
    }

    struct StartBody: Decodable {
        var room: String
        var layout: String?
        var audioOnly: Bool?
        var outputs: [RecordingPolicy.Output]?
        var maxDurationS: Int?
        var title: String?
        /// `livekit`, `100ms` or `local`; LiveKit when left out, unless the name is a room on both
        /// LiveKit and 100ms (then it must be given).
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

    /// The provider recording under `name`: 400 for a name Tapedeck does not know, 503 for one
    /// this instance has not configured.
    func provider(named name: String) throws -> any RecordingProvider {
        guard RecordingProviders.known.contains(name) else {
            throw APIError.invalid("provider", "provider must be \(RecordingProviders.known.joined(separator: " or "))")
        }
        guard let provider = providers.named(name) else {
            let settings = name == HMSRecorder.provider ? "HMS_ACCESS_KEY and HMS_SECRET" : "LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET"
            throw APIError.unavailable("\(name) is not configured: set \(settings)", retryAfterSeconds: 3600)
        }
        return provider
    }

    /// Admins control every recording; a viewer token controls those of rooms its holder hosts
    /// now (a host in the room's open session, or listed in the room's policy), as a
    /// "Start recording" button in the host's own meeting UI needs. Never the local recorder: its
    /// input is a URL Tapedeck fetches.
    func requireControl(
        _ context: TapedeckRequestContext, room: () async throws -> Room?, session sessionID: UUID?, provider: String,
        notInScope: () -> APIError
    ) async throws -> Principal {
        guard let principal = context.principal else { throw APIError.unauthorized }
        if let scope = principal.adminScope {
            // An organization's key controls its own rooms only; to it others do not exist.
            if case .organization = scope, !scope.covers(try await room()?.organizationID) { throw notInScope() }
            return principal
        }
        guard case .viewer(let identity, _, _, let organization) = principal else { return principal }
        let room = try await room()
        // A room the token does not speak for is one that does not exist, as for a missing id.
        if let room, try await !RecordingAccess.tokenCovers(room, organization: organization, catalog: catalog) { throw notInScope() }
        guard try await hosts(identity, room: room, session: sessionID, provider: provider) else { throw Self.notHost }
        return principal
    }

    static let notHost = APIError(.forbidden, code: "not_a_host", message: "only the room's hosts may start or stop its recordings")

    func hosts(_ identity: String, room: Room?, session sessionID: UUID?, provider: String) async throws -> Bool {
        guard provider != LocalRecorder.provider, let room else { return false }
        if let policy = try? StoredPolicy.resolve(room.policyJSON, room: room.name, defaults: RecordingPolicy()),
            policy.hosts.contains(identity)
        {
            return true
        }
        var session = sessionID
        if session == nil { session = try await catalog.pool.sessions.open(roomID: room.id, provider: provider)?.id }
        guard let session else { return false }
        return try await catalog.pool.participants.role(identity: identity, sessionID: session) == "host"
    }

    /// The provider a start that names none is for: LiveKit, unless the name is a room of both
    /// LiveKit and 100ms (the providers of live rooms), which is for the request to settle. A
    /// viewer hosting neither learns only that they may not start it.
    func defaultProvider(room name: String, _ context: TapedeckRequestContext) async throws -> String {
        var live: [Room] = []
        for room in try await catalog.pool.rooms.all(named: name)
        where [LiveKitRecorder.provider, HMSRecorder.provider].contains(room.provider) {
            // Only rooms the caller could reach: another organization's rooms do not exist to it.
            if let scope = context.principal?.adminScope, !scope.covers(room.organizationID) { continue }
            if case .viewer(_, _, _, let organization) = context.principal,
                try await !RecordingAccess.tokenCovers(room, organization: organization, catalog: catalog)
            {
                continue
            }
            live.append(room)
        }
        guard live.count > 1 else { return LiveKitRecorder.provider }
        if case .viewer(let identity, _, _, _) = context.principal {
            var hostsAny = false
            for room in live {
                if try await hosts(identity, room: room, session: nil, provider: room.provider) { hostsAny = true }
            }
            guard hostsAny else { throw Self.notHost }
        }
        throw RoomLookup.ambiguous(name, providers: live.map(\.provider))
    }

    @Sendable func start(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        guard context.principal != nil else { throw APIError.unauthorized }
        let body = try await request.decodeJSON(as: StartBody.self, limit: maxBody)
        // Checked before the catalog is asked about it: PostgreSQL refuses some text outright.
        let room = body.room
        guard !room.isEmpty, room.unicodeScalars.count <= 256 else { throw APIError.invalid("room", "room must be 1 to 256 characters") }
        try APIError.requirePlainText(room, field: "room")
        let named: String
        if let provider = body.provider { named = provider } else { named = try await defaultProvider(room: room, context) }
        let provider = try provider(named: named)
        let principal = try await requireControl(
            context, room: { try await catalog.pool.rooms.find(name: room, provider: provider.name) }, session: nil,
            provider: provider.name, notInScope: { Self.apiError(.roomNotFound(room), provider: provider.name) })
        try APIError.requirePlainText(body.title, field: "title")
        if let title = body.title, title.unicodeScalars.count > 300 { throw APIError.invalid("title", "title must be at most 300 characters") }
        var key = request.headers[Self.idempotencyKey]
        if let given = key {
            guard (1...200).contains(given.utf8.count) else {
                throw APIError.invalid("Idempotency-Key", "Idempotency-Key must be 1 to 200 bytes")
            }
            // An organization's keys have their own idempotency keys: one tenant cannot reach
            // another's recording by guessing the key it used.
            if let organizationID = principal.adminScope?.organizationID {
                key = organizationID.uuidString.lowercased() + ":" + given
            }
        }
        if let key {
            if let earlier = try await catalog.pool.recordings.find(requestKey: key),
                try await principal.adminScope?.covers(catalog.pool.rooms.organizationID(of: earlier.roomID)) ?? true
            {
                return JSONResponse(RecordingRepresentation(recording: earlier), status: .ok)
            }
        }
        let options = try Self.options(body, for: provider.name)
        let started = RecordingStartRequest(
            room: room, title: body.title, maxDurationS: body.maxDurationS, requestedBy: principal.actor, requestKey: key,
            options: options)
        do {
            return JSONResponse(RecordingRepresentation(recording: try await provider.start(started)), status: .accepted)
        } catch let error as RecordingStartError {
            throw Self.apiError(error, provider: provider.name)
        }
    }

    /// The request's provider-specific fields, checked against the provider it names.
    static func options(_ body: StartBody, for provider: String) throws -> RecordingStartRequest.Options {
        if provider == LocalRecorder.provider {
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
            return .local(input: input, participants: Array(Set(participants)).sorted())
        }
        if provider == HMSRecorder.provider {
            for (field, present) in [("layout", body.layout != nil), ("outputs", body.outputs != nil)] where present {
                throw APIError.invalid(field, "\(field) is only for provider livekit (100ms records one composite MP4)")
            }
        }
        if body.input != nil { throw APIError.invalid("input", "input is only for provider local") }
        if body.participants != nil { throw APIError.invalid("participants", "participants are only for provider local") }
        return .composite(layout: body.layout, audioOnly: body.audioOnly, outputs: body.outputs)
    }

    static func apiError(_ error: RecordingStartError, provider: String) -> APIError {
        switch error {
        case .invalid(let field, let message):
            return APIError.invalid(field, message)
        case .alreadyActive(let room, let recording):
            let which = recording.map { " (recording \($0.uuidString.lowercased()))" } ?? ""
            return APIError.conflict("recording_active", "room \(room) is already being recorded\(which)")
        case .roomNotFound(let room):
            let name = provider == HMSRecorder.provider ? "100ms" : "LiveKit"
            return APIError(.notFound, code: "room_not_found", message: "\(name) has no active room named \(room)", field: "room")
        case .policyUnreadable(let reason):
            return APIError(.conflict, code: "room_policy_unreadable", message: reason, field: "room")
        case .unavailable(let reason):
            return APIError.unavailable(reason, retryAfterSeconds: 10)
        }
    }

    @Sendable func stop(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        guard context.principal != nil else { throw APIError.unauthorized }
        let id = try context.uuidParameter("id")
        guard let recording = try await catalog.pool.recordings.find(id: id) else { throw APIError.notFound("recording") }
        let principal = try await requireControl(
            context, room: { try await catalog.pool.rooms.find(id: recording.roomID) }, session: recording.sessionID,
            provider: recording.provider, notInScope: { APIError.notFound("recording") })
        guard recording.status.isActive else {
            // Stopping a stopped recording is not an error: the caller's goal is met.
            return JSONResponse(RecordingRepresentation(recording: recording), status: .ok)
        }
        let provider = try provider(named: recording.provider)
        try await catalog.transaction { tx in
            try await provider.requestStop(tx, recording: recording, reason: "stopped through the API", actor: principal.actor)
        }
        provider.wakeup.signal()
        let current = try await catalog.pool.recordings.find(id: id) ?? recording
        return JSONResponse(RecordingRepresentation(recording: current), status: .accepted)
    }

    @Sendable func pause(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        try await setPaused(true, context)
    }

    @Sendable func resume(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        try await setPaused(false, context)
    }

    /// Whoever may stop a recording may pause and resume it; providers whose recorder cannot
    /// pause answer 409 `pause_not_supported`.
    func setPaused(_ paused: Bool, _ context: TapedeckRequestContext) async throws -> JSONResponse<RecordingRepresentation> {
        guard context.principal != nil else { throw APIError.unauthorized }
        let id = try context.uuidParameter("id")
        guard let recording = try await catalog.pool.recordings.find(id: id) else { throw APIError.notFound("recording") }
        let principal = try await requireControl(
            context, room: { try await catalog.pool.rooms.find(id: recording.roomID) }, session: recording.sessionID,
            provider: recording.provider, notInScope: { APIError.notFound("recording") })
        let provider = try provider(named: recording.provider)
        do {
            try await provider.setPaused(paused, recording: recording, actor: principal.actor)
        } catch let error as RecordingPauseError {
            switch error {
            case .notSupported(let name):
                throw APIError.conflict("pause_not_supported", "\(name) recordings cannot be paused; stop and start a new one instead")
            case .notRecording(let status):
                throw APIError.conflict("not_recording", "only a recording in status recording can \(paused ? "pause" : "resume"); this one is \(status.rawValue)")
            case .provider(let reason):
                throw APIError.unavailable(reason, retryAfterSeconds: 10)
            case .inProgress:
                throw APIError.conflict(
                    "pause_in_progress", "another pause or resume of this recording is under way; try again once it is answered")
            case .tooManyPauses:
                throw APIError.conflict(
                    "too_many_pauses", "a recording can be paused \(PausedStretches.maximumCount) times; stop it and start a new one instead")
            }
        }
        let current = try await catalog.pool.recordings.find(id: id) ?? recording
        return JSONResponse(RecordingRepresentation(recording: current), status: .ok)
    }
}
