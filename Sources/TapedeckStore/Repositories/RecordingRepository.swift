import Foundation
import SQLKit
import TapedeckCore

/// What a new recording row starts with.
public struct NewRecording: Sendable {
    public var id: UUID
    public var roomID: UUID
    public var sessionID: UUID?
    public var provider: String
    public var title: String?
    public var providerRecordingID: String?
    public var status: RecordingStatus
    public var layout: String?
    public var audioOnly: Bool
    public var requestedBy: String?
    public var startedAt: Date?
    public var storage: String
    public var keyPrefix: String
    /// What was asked of the recorder (JSON), to start or retry it later.
    public var requestJSON: String?
    public var maxDurationS: Int?
    /// A client's idempotency key: a second start with it returns this recording.
    public var requestKey: String?

    public init(
        id: UUID = UUID(), roomID: UUID, sessionID: UUID?, provider: String, title: String? = nil,
        providerRecordingID: String? = nil,
        status: RecordingStatus, layout: String? = nil, audioOnly: Bool = false, requestedBy: String? = nil,
        startedAt: Date? = nil, storage: String, keyPrefix: String, requestJSON: String? = nil,
        maxDurationS: Int? = nil, requestKey: String? = nil
    ) {
        self.id = id
        self.roomID = roomID
        self.sessionID = sessionID
        self.provider = provider
        self.title = title
        self.providerRecordingID = providerRecordingID
        self.status = status
        self.layout = layout
        self.audioOnly = audioOnly
        self.requestedBy = requestedBy
        self.startedAt = startedAt
        self.storage = storage
        self.keyPrefix = keyPrefix
        self.requestJSON = requestJSON
        self.maxDurationS = maxDurationS
        self.requestKey = requestKey
    }
}

/// Which recordings a listing returns.
public struct RecordingFilter: Sendable, Equatable {
    public var roomName: String?
    /// `nil` lists every status except `deleted`.
    public var status: RecordingStatus?
    /// Only recordings of sessions this identity took part in (a viewer's own recordings).
    public var participantIdentity: String?
    /// Only recordings with a participant whose identity is this, or whose name contains it (any case).
    public var participantSearch: String?
    /// Only recordings of this organization's rooms.
    public var organizationID: UUID? = nil
    /// Only what this viewer may watch (never deleted ones, whatever `status` says).
    public var viewer: ViewerReach? = nil

    public init(
        roomName: String? = nil, status: RecordingStatus? = nil, participantIdentity: String? = nil,
        participantSearch: String? = nil
    ) {
        self.roomName = roomName
        self.status = status
        self.participantIdentity = participantIdentity
        self.participantSearch = participantSearch
    }

    /// Whether every value this filter binds picks rows alike, whatever the value: a room's name
    /// (the rooms of a name are read through one index whether they hold 3 recordings or
    /// 300,000) and a position. An organization, a participant or a viewer can reach 3 or
    /// 300,000, and a plan cached for one is the wrong plan for the other: their listings are
    /// planned each time.
    var picksRowsAlike: Bool {
        participantIdentity == nil && participantSearch == nil && organizationID == nil && viewer == nil
    }
}

/// A position in the newest-first order of recordings: the last row of the previous page.
public struct RecordingPosition: Sendable, Equatable {
    public var createdAt: Int64
    public var id: UUID

    public init(createdAt: Int64, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// Fields set together with a status change (only non-nil ones are written).
public struct RecordingChanges: Sendable, Equatable {
    public var providerRecordingID: String?
    public var startedAt: Date?
    public var endedAt: Date?
    public var durationMs: Int64?
    public var sizeBytes: Int64?
    public var error: String?
    public var limitReached: Bool?
    public var mediaStartedAt: Date?

    public init(
        providerRecordingID: String? = nil, startedAt: Date? = nil, endedAt: Date? = nil, durationMs: Int64? = nil,
        sizeBytes: Int64? = nil, error: String? = nil, limitReached: Bool? = nil, mediaStartedAt: Date? = nil
    ) {
        self.mediaStartedAt = mediaStartedAt
        self.providerRecordingID = providerRecordingID
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMs = durationMs
        self.sizeBytes = sizeBytes
        self.error = error
        self.limitReached = limitReached
    }
}

/// A recording paused more often than ``PausedStretches/maximumCount``.
public struct TooManyPauses: Error, Sendable {}

/// The result of asking for a status change.
public enum TransitionOutcome: Sendable, Equatable {
    case applied(from: RecordingStatus, to: RecordingStatus)
    case ignored(current: RecordingStatus, reason: String)
    case rejected(current: RecordingStatus, reason: String)
    case notFound
}

public struct RecordingRepository: Sendable {
    let session: CatalogSession

    // Scalar subqueries rather than joins: PostgreSQL plans them several times faster, and with
    // unnamed statements every request is planned afresh.
    static let selectList: SQLQueryString = """
        SELECT r.*, (SELECT name FROM rooms WHERE id = r.room_id) AS room_name,
            (SELECT key FROM sessions WHERE id = r.session_id) AS session_key
        """
    private static let selectColumns: SQLQueryString = selectList + " FROM recordings r"

    public func insert(_ new: NewRecording) async throws -> Recording {
        guard let recording = try await insertUnlessActive(new) else {
            throw CatalogDataError(description: "room already has an active recording")
        }
        return recording
    }

    /// Inserts a recording, unless it would be a second active one in its room (the database's
    /// partial unique index decides, so concurrent starts cannot both succeed): then `nil`.
    public func insertUnlessActive(_ new: NewRecording) async throws -> Recording? {
        let now = session.nowMs
        let active = RecordingStatus.active.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        let inserted = try await session.sql.raw(
            """
            INSERT INTO recordings (id, room_id, session_id, provider, title, provider_recording_id, status, layout,
                audio_only, requested_by, started_at, storage, key_prefix, request_json, max_duration_s, request_key,
                created_at, updated_at)
            VALUES (\(bind: new.id), \(bind: new.roomID), \(bind: new.sessionID), \(bind: new.provider), \(bind: new.title),
                \(bind: new.providerRecordingID), \(bind: new.status.rawValue), \(bind: new.layout),
                \(bind: new.audioOnly), \(bind: new.requestedBy), \(bind: new.startedAt?.millisecondsSince1970),
                \(bind: new.storage), \(bind: new.keyPrefix), \(bind: new.requestJSON), \(bind: new.maxDurationS),
                \(bind: new.requestKey), \(bind: now), \(bind: now))
            ON CONFLICT (room_id) WHERE status IN (\(unsafeRaw: active)) DO NOTHING
            RETURNING id
            """
        ).all()
        guard !inserted.isEmpty else { return nil }
        try await session.events.append(
            NewAuditEvent(
                recordingID: new.id, sessionID: new.sessionID, type: "recording.created",
                actor: new.requestedBy ?? "system", data: ["status": new.status.rawValue, "provider": new.provider]))
        guard let recording = try await find(id: new.id) else {
            throw CatalogDataError(description: "recording \(new.id) vanished after insert")
        }
        return recording
    }

    /// The recording with its assets.
    public func find(id: UUID) async throws -> Recording? {
        guard let row = try await session.sql.raw(Self.selectColumns + " WHERE r.id = \(bind: id)").first() else {
            return nil
        }
        var recording = try Self.decode(row)
        recording.assets = try await session.assets.list(recordingID: id)
        return recording
    }

    /// Those of `ids` that exist, with their assets, by id: two statements for any number.
    public func find(ids: [UUID]) async throws -> [UUID: Recording] {
        guard !ids.isEmpty else { return [:] }
        let recordings = try await withAssets(
            session.sql.raw(Self.selectColumns + " WHERE r.id IN (\(binds: ids))").all().map(Self.decode))
        return Dictionary(recordings.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// One page, newest first, strictly after `position`; assets included.
    public func list(
        filter: RecordingFilter, after position: RecordingPosition?, limit: Int
    ) async throws -> [Recording] {
        var conditions: [SQLQueryString] = []
        // On PostgreSQL a room's name is resolved inside the page's statement (one round trip
        // fewer, at a catalog's scale the larger part of a listing's time): each room of that
        // name is read through recordings_room_created, already in the page's order, and the
        // pages merged. SQLite has no LATERAL, and its statements cost no round trip: there, the
        // rooms' ids come first.
        let lateralRoom = session.kind == .postgres ? filter.roomName : nil
        if lateralRoom != nil {
            conditions.append("r.room_id = named.id")
        } else if let room = filter.roomName {
            // With one room (the usual case) `IN` of one id is `=`, which keeps the planner on
            // recordings_room_created.
            let ids = try await session.sql.raw("SELECT id FROM rooms WHERE name = \(bind: room)").all().map { try $0.uuid("id") }
            guard !ids.isEmpty else { return [] }
            conditions.append("r.room_id IN (\(binds: ids))")
        }
        if let organizationID = filter.organizationID {
            conditions.append("r.room_id IN (SELECT id FROM rooms WHERE organization_id = \(bind: organizationID))")
        }
        if let identity = filter.participantIdentity {
            // participants_identity_session makes this an index lookup per viewer.
            conditions.append("r.session_id IN (SELECT session_id FROM participants WHERE identity = \(bind: identity))")
        }
        if let viewer = filter.viewer {
            conditions.append(viewer.watchable)
        }
        if let search = filter.participantSearch {
            let pattern = "%" + search.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            conditions.append(
                "r.session_id IN (SELECT session_id FROM participants WHERE identity = \(bind: search) OR LOWER(name) LIKE \(bind: pattern) ESCAPE '\\')")
        }
        if let status = filter.status {
            // A literal (one of the few statuses), so a prepared listing's plan is made for it:
            // a generic `status = $1` could not use the partial index of active recordings, and
            // 'recording' is a handful of rows among a million 'ready'.
            conditions.append("r.status = \(literal: status.rawValue)")
        } else {
            conditions.append("r.status <> 'deleted'")
        }
        if let position {
            conditions.append("(r.created_at, r.id) < (\(bind: position.createdAt), \(bind: position.id))")
        }
        var query = Self.selectColumns
        if !conditions.isEmpty {
            query += " WHERE " + conditions.joined(separator: " AND ")
        }
        query += " ORDER BY r.created_at DESC, r.id DESC LIMIT \(literal: limit)"
        if let room = lateralRoom {
            query = "SELECT page.* FROM rooms named CROSS JOIN LATERAL (" + query + ") page WHERE named.name = \(bind: room)"
                + " ORDER BY page.created_at DESC, page.id DESC LIMIT \(literal: limit)"
        }
        // The page's assets in the same statement (a round trip fewer): one row per asset, or
        // one with NULLs for a recording without any, in the page's order.
        query = "WITH page AS (" + query + ") SELECT page.*, " + AssetRepository.joinedSelectList
            + " FROM page LEFT JOIN assets a ON a.recording_id = page.id ORDER BY page.created_at DESC, page.id DESC, a.id"
        if let rows = try await session.postgresRows(query, prepared: filter.picksRowsAlike) {
            return try Self.decodePage(rows)
        }
        return try await Self.decodePage(session.sql.raw(query).all().map(SQLKitColumns.init(row:)))
    }

    /// Recordings from rows of recording and asset columns, consecutive rows of one recording
    /// each bringing one of its assets.
    private static func decodePage<Row: RowColumns>(_ rows: [Row]) throws -> [Recording] {
        var recordings: [Recording] = []
        for row in rows {
            let id = try row.uuid("id")
            if recordings.last?.id != id {
                recordings.append(try decode(columns: row))
            }
            if let asset = try AssetRepository.decodeJoined(columns: row) {
                recordings[recordings.count - 1].assets.append(asset)
            }
        }
        return recordings
    }

    private func withAssets(_ recordings: [Recording]) async throws -> [Recording] {
        var recordings = recordings
        let assets = try await session.assets.list(recordingIDs: recordings.map(\.id))
        for index in recordings.indices {
            recordings[index].assets = assets[recordings[index].id] ?? []
        }
        return recordings
    }

    /// Moves a recording to `next` if the state machine allows it, writing the change and its
    /// cause to the audit log. Call inside a transaction so the two stay together.
    public func transition(
        _ id: UUID, to next: RecordingStatus, actor: String, cause: String, changes: RecordingChanges = .init()
    ) async throws -> TransitionOutcome {
        guard
            let row = try await session.sql.raw(
                "SELECT status, session_id FROM recordings WHERE id = \(bind: id)" + session.forUpdate
            ).first()
        else { return .notFound }
        let rawStatus = try row.string("status")
        guard let current = RecordingStatus(rawValue: rawStatus) else {
            throw CatalogDataError(description: "recording \(id) has unknown status \(rawStatus)")
        }
        switch RecordingStateMachine.decide(from: current, to: next) {
        case .ignore(let reason):
            return .ignored(current: current, reason: reason)
        case .reject(let reason):
            return .rejected(current: current, reason: reason)
        case .apply:
            break
        }
        var assignments: [SQLQueryString] = [
            "status = \(bind: next.rawValue)", "updated_at = \(bind: session.nowMs)",
        ]
        if let value = changes.providerRecordingID { assignments.append("provider_recording_id = \(bind: value)") }
        if let value = changes.startedAt { assignments.append("started_at = \(bind: value.millisecondsSince1970)") }
        if let value = changes.endedAt { assignments.append("ended_at = \(bind: value.millisecondsSince1970)") }
        if let value = changes.durationMs { assignments.append("duration_ms = \(bind: value)") }
        if let value = changes.sizeBytes { assignments.append("size_bytes = \(bind: value)") }
        if let value = changes.error { assignments.append("error = \(bind: value)") }
        if let value = changes.limitReached { assignments.append("limit_reached = \(bind: value)") }
        if let value = changes.mediaStartedAt { assignments.append("media_started_at = \(bind: value.millisecondsSince1970)") }
        // The status guard makes a concurrent change (without a transaction) lose instead of overwrite.
        let updated = try await session.sql.raw(
            "UPDATE recordings SET " + assignments.joined(separator: ", ")
                + " WHERE id = \(bind: id) AND status = \(bind: current.rawValue) RETURNING id"
        ).all()
        guard !updated.isEmpty else {
            return .ignored(current: current, reason: "changed concurrently")
        }
        var data = ["from": current.rawValue, "to": next.rawValue, "cause": cause]
        if let error = changes.error { data["error"] = error }
        try await session.events.append(
            NewAuditEvent(
                recordingID: id, sessionID: try row.optionalUUID("session_id"), type: "recording.\(next.rawValue)",
                actor: actor, data: data))
        return .applied(from: current, to: next)
    }

    /// Recordings other than `id`, not deleted, whose objects may lie under `prefix`: their key
    /// prefix contains it or lies inside it. Recordings made before every recording had a folder
    /// of its own share their session's folder; a purge must leave their objects alone.
    /// (`substr` and `length` count code points on SQLite and PostgreSQL alike, hence the count
    /// of Unicode scalars, not of Swift characters.)
    public func sharingKeyPrefix(_ prefix: String, excluding id: UUID) async throws -> [(id: UUID, keyPrefix: String)] {
        try await session.sql.raw(
            """
            SELECT id, key_prefix FROM recordings
            WHERE id <> \(bind: id) AND status <> 'deleted'
                AND (substr(key_prefix, 1, CAST(\(bind: prefix.unicodeScalars.count) AS INTEGER)) = \(bind: prefix)
                    OR substr(\(bind: prefix), 1, length(key_prefix)) = key_prefix)
            """
        ).all().map { (try $0.uuid("id"), try $0.string("key_prefix")) }
    }

    /// The room's recording whose recorder may still run.
    /// The session's recordings, oldest first, without their assets; `locking` holds them
    /// (`FOR SHARE`) until the transaction ends, so none changes status meanwhile.
    public func list(sessionID: UUID, locking: Bool = false) async throws -> [Recording] {
        let lock: SQLQueryString = locking && session.kind == .postgres ? " FOR SHARE OF r" : ""
        return try await session.sql.raw(
            Self.selectColumns + " WHERE r.session_id = \(bind: sessionID) ORDER BY r.created_at, r.id" + lock
        ).all().map(Self.decode)
    }

    public func setHLSStart(_ id: UUID, _ ms: Int64) async throws {
        try await session.sql.raw("UPDATE recordings SET hls_start_ms = \(bind: ms) WHERE id = \(bind: id)").run()
    }

    /// Opens (`paused`) or closes the recording's current paused stretch at `at`. Compared and
    /// set, so two requests at once make one stretch. `false` when nothing changed (already
    /// paused, not paused, or no such recording); throws ``TooManyPauses`` past the limit.
    public func notePause(_ id: UUID, paused: Bool, at: Date) async throws -> Bool {
        for _ in 0..<8 {
            guard let row = try await session.sql.raw("SELECT paused_stretches FROM recordings WHERE id = \(bind: id)").first()
            else { return false }
            let stored = try row.optionalString("paused_stretches")
            let current = PausedStretches.decode(stored)
            let atMs = at.millisecondsSince1970
            guard let next = paused ? PausedStretches.pausing(current, at: atMs) : PausedStretches.resuming(current, at: atMs)
            else { return false }
            if next.count > PausedStretches.maximumCount { throw TooManyPauses() }
            let updated = try await session.sql.raw(
                """
                UPDATE recordings SET paused_stretches = \(bind: PausedStretches.encode(next)), updated_at = \(bind: session.nowMs)
                WHERE id = \(bind: id) AND COALESCE(paused_stretches, '') = \(bind: stored ?? "") RETURNING id
                """
            ).all()
            if !updated.isEmpty { return true }
        }
        throw CatalogDataError(description: "the recording's pauses kept changing")
    }

    /// Takes the recording's pause lease until `untilMs`, unless another request holds it (one
    /// that has not lapsed by `nowMs`): compared and set, so of two instances asking at once one
    /// gets it. `false` when held (or no such recording).
    public func takePauseLease(_ id: UUID, nowMs: Int64, untilMs: Int64) async throws -> Bool {
        try await !session.sql.raw(
            """
            UPDATE recordings SET pause_request_until = \(bind: untilMs)
            WHERE id = \(bind: id) AND (pause_request_until IS NULL OR pause_request_until <= \(bind: nowMs)) RETURNING id
            """
        ).all().isEmpty
    }

    /// Gives back the lease taken until `untilMs`; one taken over after it lapsed is left alone.
    public func releasePauseLease(_ id: UUID, untilMs: Int64) async throws {
        try await session.sql.raw(
            "UPDATE recordings SET pause_request_until = NULL WHERE id = \(bind: id) AND pause_request_until = \(bind: untilMs)"
        ).run()
    }

    /// `provider`'s recordings in one of `statuses`, oldest first, without their assets.
    public func list(provider: String, statuses: [RecordingStatus]) async throws -> [Recording] {
        let list = statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try await session.sql.raw(
            Self.selectColumns
                + " WHERE r.provider = \(bind: provider) AND r.status IN (\(unsafeRaw: list)) ORDER BY r.created_at, r.id"
        ).all().map(Self.decode)
    }

    /// The recording, its row held (`FOR SHARE` on PostgreSQL) until the transaction ends, so a
    /// pause or a change of timeline waits for what this transaction writes; without its assets.
    public func findLocked(id: UUID) async throws -> Recording? {
        let lock: SQLQueryString = session.kind == .postgres ? " FOR SHARE OF r" : ""
        return try await session.sql.raw(Self.selectColumns + " WHERE r.id = \(bind: id)" + lock).first().map(Self.decode)
    }

    /// Sets the operator's correction of cue times.
    public func setCueOffset(_ id: UUID, _ offsetMs: Int64) async throws {
        try await session.sql.raw(
            "UPDATE recordings SET cue_offset_ms = \(bind: offsetMs), updated_at = \(bind: session.nowMs) WHERE id = \(bind: id)"
        ).run()
    }

    public func active(roomID: UUID) async throws -> Recording? {
        let active = RecordingStatus.active.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try await session.sql.raw(
            Self.selectColumns + " WHERE r.room_id = \(bind: roomID) AND r.status IN (\(unsafeRaw: active))"
        ).first().map(Self.decode)
    }

    public func find(provider: String, providerRecordingID: String) async throws -> Recording? {
        try await session.sql.raw(
            Self.selectColumns
                + " WHERE r.provider = \(bind: provider) AND r.provider_recording_id = \(bind: providerRecordingID)"
        ).first().map(Self.decode)
    }

    public func find(requestKey: String) async throws -> Recording? {
        guard let row = try await session.sql.raw(Self.selectColumns + " WHERE r.request_key = \(bind: requestKey)").first()
        else { return nil }
        return try Self.decode(row)
    }

    /// Binds a recording to its provider-side id (once: a second id is refused).
    public func setProviderRecordingID(_ id: UUID, _ providerID: String) async throws -> Bool {
        try await !session.sql.raw(
            """
            UPDATE recordings SET provider_recording_id = \(bind: providerID), updated_at = \(bind: session.nowMs)
            WHERE id = \(bind: id) AND (provider_recording_id IS NULL OR provider_recording_id = \(bind: providerID))
            RETURNING id
            """
        ).all().isEmpty
    }

    /// Recordings of `provider` in one of `statuses` not updated since `cutoff`, oldest first.
    public func stale(
        provider: String, statuses: [RecordingStatus], updatedBefore cutoff: Date, limit: Int
    ) async throws -> [Recording] {
        let list = statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try await session.sql.raw(
            Self.selectColumns
                + """
                 WHERE r.provider = \(bind: provider) AND r.status IN (\(unsafeRaw: list))
                AND r.updated_at < \(bind: cutoff.millisecondsSince1970) ORDER BY r.updated_at LIMIT \(literal: limit)
                """
        ).all().map(Self.decode)
    }

    /// Active recordings of `provider` with a duration limit that has passed at `now`.
    public func overLimit(provider: String, now: Date, limit: Int) async throws -> [Recording] {
        try await session.sql.raw(
            Self.selectColumns
                + """
                 WHERE r.provider = \(bind: provider) AND r.status IN ('starting', 'recording')
                AND r.max_duration_s IS NOT NULL AND r.started_at IS NOT NULL
                AND r.started_at + r.max_duration_s * 1000 <= \(bind: now.millisecondsSince1970)
                ORDER BY r.started_at LIMIT \(literal: limit)
                """
        ).all().map(Self.decode)
    }

    /// Marks a recording as touched (the reconciler checked it), without changing its state.
    public func touch(_ id: UUID) async throws {
        try await session.sql.raw("UPDATE recordings SET updated_at = \(bind: session.nowMs) WHERE id = \(bind: id)").run()
    }

    /// The recording's status, its row held until the transaction ends (it is written, so a change
    /// of status elsewhere either waits for this transaction or was committed before and is
    /// seen); `nil` when there is no such recording. A job that stores files for a recording
    /// lists them only after this says it is not deleted.
    public func statusHoldingRow(_ id: UUID) async throws -> RecordingStatus? {
        try await touch(id)
        guard let row = try await session.sql.raw("SELECT status FROM recordings WHERE id = \(bind: id)").first() else { return nil }
        let raw = try row.string("status")
        guard let status = RecordingStatus(rawValue: raw) else {
            throw CatalogDataError(description: "recording \(id) has unknown status \(raw)")
        }
        return status
    }

    /// Records a duration learned after the fact (a playlist's total, a probe).
    public func setDuration(_ id: UUID, durationMs: Int64) async throws {
        try await session.sql.raw(
            "UPDATE recordings SET duration_ms = \(bind: durationMs), updated_at = \(bind: session.nowMs) WHERE id = \(bind: id)"
        ).run()
    }

    static func decode(_ row: any SQLRow) throws -> Recording { try decode(columns: SQLKitColumns(row: row)) }

    static func decode(columns row: some RowColumns) throws -> Recording {
        let rawStatus = try row.string("status")
        guard let status = RecordingStatus(rawValue: rawStatus) else {
            throw CatalogDataError(description: "unknown recording status \(rawStatus)")
        }
        var recording = Recording(
            id: try row.uuid("id"), roomID: try row.uuid("room_id"), roomName: try row.string("room_name"),
            sessionID: try row.optionalUUID("session_id"), sessionKey: try row.optionalString("session_key"),
            provider: try row.string("provider"), title: try row.optionalString("title"), providerRecordingID: try row.optionalString("provider_recording_id"),
            status: status, layout: try row.optionalString("layout"), audioOnly: try row.bool("audio_only"),
            requestedBy: try row.optionalString("requested_by"), startedAt: try row.optionalDate("started_at"),
            endedAt: try row.optionalDate("ended_at"), durationMs: try row.optionalInt64("duration_ms"),
            sizeBytes: try row.optionalInt64("size_bytes"), error: try row.optionalString("error"),
            limitReached: try row.bool("limit_reached"), storage: try row.string("storage"),
            keyPrefix: try row.string("key_prefix"), retainUntil: try row.optionalDate("retain_until"),
            requestJSON: try row.optionalString("request_json"), maxDurationS: try row.optionalInt64("max_duration_s").map(Int.init),
            createdAt: try row.date("created_at"), updatedAt: try row.date("updated_at"))
        recording.onHold = try row.bool("on_hold")
        recording.mediaStartedAt = try row.optionalDate("media_started_at")
        recording.cueOffsetMs = try row.int64("cue_offset_ms")
        recording.hlsStartMs = try row.optionalInt64("hls_start_ms")
        // Absent before 0026 (a catalog read mid-migration, as the migration tests do): no pauses.
        recording.pauses = PausedStretches.decode(row.contains(column: "paused_stretches") ? try row.optionalString("paused_stretches") : nil)
        return recording
    }

    /// Puts a recording on hold (or releases it); `false` when there is no such recording.
    public func setHold(_ id: UUID, _ onHold: Bool) async throws -> Bool {
        !(try await session.sql.raw(
            "UPDATE recordings SET on_hold = \(bind: onHold), updated_at = \(bind: session.nowMs) WHERE id = \(bind: id) RETURNING id"
        ).all()).isEmpty
    }

    /// Finished recordings not on hold, oldest first, after `position`, with their room's policy
    /// JSON and their organization's retention: one statement per page, however many rooms.
    ///
    /// Only those that ended (or, never ended, were created) by `endedBy`, plus every one of
    /// `rooms`: a pass asks for what the shortest retention in force could make due, not for
    /// the whole catalog. `endedBy` nil: only `rooms`'.
    public func retentionCandidates(
        after position: RecordingPosition?, endedBy: Date?, orInRooms rooms: [UUID] = [], limit: Int
    ) async throws -> [RetentionCandidate] {
        guard endedBy != nil || !rooms.isEmpty else { return [] }
        let statuses = Retention.deletable.map { "'\($0.rawValue)'" }.joined(separator: ", ")
        var query: SQLQueryString =
            Self.selectList + """
                , (SELECT policy_json FROM rooms WHERE id = r.room_id) AS room_policy,
                (\(unsafeRaw: Self.organizationRetainDays("r.room_id"))) AS organization_retain_days
                FROM recordings r WHERE r.status IN (\(unsafeRaw: statuses)) AND r.on_hold = \(bind: false)
                """
        switch (endedBy, rooms.isEmpty) {
        case (let endedBy?, true):
            query += " AND COALESCE(r.ended_at, r.created_at) <= \(bind: endedBy.millisecondsSince1970)"
        case (let endedBy?, false):
            query += " AND (COALESCE(r.ended_at, r.created_at) <= \(bind: endedBy.millisecondsSince1970) OR r.room_id IN (\(binds: rooms)))"
        case (nil, _):
            query += " AND r.room_id IN (\(binds: rooms))"
        }
        if let position {
            query += " AND (r.created_at, r.id) > (\(bind: position.createdAt), \(bind: position.id))"
        }
        query += " ORDER BY r.created_at, r.id LIMIT \(literal: limit)"
        return try await session.sql.raw(query).all().map { row in
            RetentionCandidate(
                recording: try Self.decode(row), roomPolicy: try row.optionalString("room_policy"),
                organizationRetainDays: try row.optionalInt64("organization_retain_days").map(Int.init))
        }
    }

    /// The `retain_days` of the organization of the room `roomColumn` names (NULL: no organization,
    /// or one that sets none: the default applies).
    static func organizationRetainDays(_ roomColumn: String) -> String {
        "SELECT o.retain_days FROM rooms rr JOIN organizations o ON o.id = rr.organization_id WHERE rr.id = \(roomColumn)"
    }
}

/// A finished recording retention may delete, with what decides when.
public struct RetentionCandidate: Sendable {
    public var recording: Recording
    /// The room's stored policy JSON.
    public var roomPolicy: String?
    /// The room's organization's `retain_days`, which replaces the global default.
    public var organizationRetainDays: Int?
}
