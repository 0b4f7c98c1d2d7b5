import Foundation
import SQLKit
import Synchronization
import TapedeckCore

/// Entry point to the catalog's repositories, over the pool or inside one transaction.
public struct Catalog: Sendable {
    public let database: CatalogDatabase
    public let clock: any Clock

    public init(database: CatalogDatabase, clock: any Clock) {
        self.database = database
        self.clock = clock
    }

    /// Repositories bound to the pool: each statement on its own.
    public var pool: CatalogSession { CatalogSession(sql: database.sql, kind: database.kind, clock: clock) }

    /// Runs `body` in one transaction; every repository it uses writes atomically with the others.
    public func transaction<T: Sendable>(
        _ body: @escaping @Sendable (CatalogSession) async throws -> T
    ) async throws -> T {
        let kind = database.kind
        let clock = clock
        return try await database.transaction { sql in
            try await body(CatalogSession(sql: sql, kind: kind, clock: clock))
        }
    }

    /// Runs `body` in one transaction, like ``transaction(_:)``, and also says which jobs it
    /// queued (`nil`: none), so the caller wakes its worker only when there is something to run.
    /// `beforeCommit` hears them before the commit sends their notifications.
    public func transactionQueuingJobs<T: Sendable>(
        beforeCommit: @escaping @Sendable (QueuedJobs) -> Void = { _ in },
        _ body: @escaping @Sendable (CatalogSession) async throws -> T
    ) async throws -> (value: T, queued: QueuedJobs?) {
        let kind = database.kind
        let clock = clock
        let record = QueuedJobsRecord()
        let value = try await database.transaction { sql in
            let value = try await body(CatalogSession(sql: sql, kind: kind, clock: clock, queued: record))
            if let queued = record.queued { beforeCommit(queued) }
            return value
        }
        return (value, record.queued)
    }
}

/// The jobs a transaction queued (duplicates of an idempotency key not counted).
public struct QueuedJobs: Sendable, Equatable {
    public var ids: [Int64]
    /// When the earliest of them is due.
    public var earliestRunAt: Date
}

final class QueuedJobsRecord: Sendable {
    private let state = Mutex<(ids: [Int64], earliestMs: Int64?)>(([], nil))

    func note(id: Int64, runAtMs: Int64) {
        state.withLock { state in
            state.ids.append(id)
            state.earliestMs = min(state.earliestMs ?? runAtMs, runAtMs)
        }
    }

    var queued: QueuedJobs? {
        state.withLock { state in
            state.earliestMs.map { QueuedJobs(ids: state.ids, earliestRunAt: Date(millisecondsSince1970: $0)) }
        }
    }
}

/// The repositories over one SQL connection (or the pool).
public struct CatalogSession: Sendable {
    public let sql: any SQLDatabase
    public let kind: DatabaseKind
    public let clock: any Clock
    /// Set by ``Catalog/transactionQueuingJobs(_:)``: what the transaction queued.
    let queued: QueuedJobsRecord?

    public init(sql: any SQLDatabase, kind: DatabaseKind, clock: any Clock) {
        self.init(sql: sql, kind: kind, clock: clock, queued: nil)
    }

    init(sql: any SQLDatabase, kind: DatabaseKind, clock: any Clock, queued: QueuedJobsRecord?) {
        self.sql = sql
        self.kind = kind
        self.clock = clock
        self.queued = queued
    }

    public var rooms: RoomRepository { RoomRepository(session: self) }
    public var organizations: OrganizationRepository { OrganizationRepository(session: self) }
    public var sessions: SessionRepository { SessionRepository(session: self) }
    public var recordings: RecordingRepository { RecordingRepository(session: self) }
    public var assets: AssetRepository { AssetRepository(session: self) }
    public var events: EventRepository { EventRepository(session: self) }
    public var apiKeys: APIKeyRepository { APIKeyRepository(session: self) }
    public var shares: ShareRepository { ShareRepository(session: self) }
    public var jobs: JobQueue { JobQueue(session: self) }
    public var participants: ParticipantRepository { ParticipantRepository(session: self) }
    public var inboundEvents: InboundEventRepository { InboundEventRepository(session: self) }
    public var webhooks: WebhookRepository { WebhookRepository(session: self) }
    public var adminSessions: AdminSessionRepository { AdminSessionRepository(session: self) }
    public var cues: CueRepository { CueRepository(session: self) }
    public var taskLeases: TaskLeaseRepository { TaskLeaseRepository(session: self) }
    public var instances: InstanceRepository { InstanceRepository(session: self) }
    public var invitees: InviteeRepository { InviteeRepository(session: self) }
    public var viewerEmails: ViewerEmailRepository { ViewerEmailRepository(session: self) }
    public var emails: EmailRepository { EmailRepository(session: self) }

    var nowMs: Int64 { clock.now().millisecondsSince1970 }

    /// `FOR UPDATE` where it means something; SQLite's single writer already excludes others.
    var forUpdate: SQLQueryString { kind == .postgres ? " FOR UPDATE" : "" }
}
