import Foundation
import Synchronization
import TapedeckStore

/// The shares revoked before they expired, in memory: `/media` answers hundreds of ranges a
/// second and checks each URL that names a share against this set instead of the catalog.
///
/// Kept current from the catalog every couple of seconds (so a revocation on another instance
/// reaches this one that soon) and at once for revocations made here.
public final class RevokedShares: Sendable {
    private let ids = Mutex<Set<UUID>>([])

    public init() {}

    public func contains(_ id: UUID) -> Bool { ids.withLock { $0.contains(id) } }

    public func insert(_ id: UUID) { _ = ids.withLock { $0.insert(id) } }

    /// Replaces the set with the catalog's (expired shares drop out: their URLs expire anyway).
    public func refresh(from catalog: Catalog) async throws {
        let current = Set(try await catalog.pool.shares.revokedUnexpired(now: catalog.clock.now()))
        ids.withLock { $0 = current }
    }

    /// How often ``refresh(from:)`` runs in `serve`.
    public static let refreshInterval: Duration = .seconds(2)
}
