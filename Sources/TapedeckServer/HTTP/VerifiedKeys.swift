import Foundation
import Synchronization
import TapedeckCore
import TapedeckStore

/// The API keys this instance has authenticated recently (``VerifiedKeyTable``), so that a
/// request on a key in use costs no statement: at a catalog's scale, the key's lookup was one of
/// a listing's three or four round trips to PostgreSQL, and round trips are where its tail went.
///
/// Kept current from the catalog every ``refreshInterval`` (one statement for every key held,
/// and one recording `last_used_at`), so a key revoked by `tapedeck keys revoke` or on another
/// instance stops working here within about that long (the interval runs from the end of the
/// last refresh), as a revoked share's links do. A revocation made by this process (deleting an
/// organization) takes effect at once. Entries not verified within ``maximumAgeMs`` (the
/// refreshes are failing) answer nothing, and the catalog is asked again.
public final class VerifiedKeys: Sendable {
    public static let refreshInterval: Duration = .seconds(2)
    /// Two refreshes may be missed (a slow catalog) before entries stop answering.
    static let maximumAgeMs: Int64 = 5_000

    private let table: Mutex<VerifiedKeyTable>
    private let clock: any TapedeckCore.Clock

    /// `clock` measures ages only (a ``MonotonicClock``, so a wall clock stepped back cannot
    /// stretch a verification); `last_used_at` is written with the catalog's clock.
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
        let current = try await catalog.pool.apiKeys.find(ids: ids)
        let now = nowMs
        table.withLock { $0.finishRefresh(asked: ids, current: current, sentAtMs: sentAt, generation: generation, nowMs: now) }
        // After the check, so a write that waits (a row another instance is revoking) or fails
        // cannot hold up what keeps revoked keys out.
        try await catalog.pool.apiKeys.noteUsed(ids: used)
    }

    /// Forgets every key: this process has just revoked some.
    public func forgetAll() {
        table.withLock { $0.forgetAll() }
    }

    /// How many keys are held (for tests).
    public var count: Int { table.withLock { $0.entries.count } }
}
