import Foundation
import Synchronization
import TapedeckCore
import TapedeckStore

/// The API keys this instance has authenticated recently (``VerifiedKeyTable``), so that a
/// request on a key in use costs no statement: at a catalog's scale, the key's lookup was one of
/// a listing's three or four round trips to PostgreSQL, and round trips are where its tail went.
///
/// Kept current from the catalog every ``refreshInterval`` (one statement for every key held,
/// which also records `last_used_at`), so a key revoked by `tapedeck keys revoke` or on another
/// instance stops working here within that long, as a revoked share's links do. A revocation made
/// by this process (deleting an organization) takes effect at once. Entries not verified within
/// ``maximumAge`` (the refreshes are failing) answer nothing, and the catalog is asked again.
public final class VerifiedKeys: Sendable {
    public static let refreshInterval: Duration = .seconds(2)
    /// Two refreshes may be missed (a slow catalog) before entries stop answering.
    static let maximumAgeMs: Int64 = 5_000

    private let table: Mutex<VerifiedKeyTable>
    private let clock: any TapedeckCore.Clock

    public init(clock: any TapedeckCore.Clock) {
        self.clock = clock
        self.table = Mutex(VerifiedKeyTable(maximumAgeMs: Self.maximumAgeMs))
    }

    private var nowMs: Int64 { clock.now().millisecondsSince1970 }

    /// The active key this credential belongs to, or `nil` (unknown, wrong secret, revoked).
    public func authenticate(_ credential: APIKeyCredential, catalog: Catalog) async throws -> APIKey? {
        let now = nowMs
        if let key = table.withLock({ $0.hit(credential, nowMs: now) }) { return key }
        let generation = table.withLock { $0.generation }
        guard let key = try await catalog.pool.apiKeys.authenticate(credential) else { return nil }
        table.withLock { $0.remember(key, sentAtMs: now, generation: generation) }
        return key
    }

    /// Asks the catalog about every key held: what was revoked is dropped, the rest verified anew.
    public func refresh(from catalog: Catalog) async throws {
        let sentAt = nowMs
        let (generation, ids, used) = table.withLock { $0.beginRefresh() }
        guard !ids.isEmpty else { return }
        try await catalog.pool.apiKeys.noteUsed(ids: used)
        let current = try await catalog.pool.apiKeys.find(ids: ids)
        let now = nowMs
        table.withLock { $0.finishRefresh(asked: ids, current: current, sentAtMs: sentAt, generation: generation, nowMs: now) }
    }

    /// Forgets every key: this process has just revoked some.
    public func forgetAll() {
        table.withLock { $0.forgetAll() }
    }

    /// How many keys are held (for tests and metrics).
    public var count: Int { table.withLock { $0.entries.count } }
}
