import Foundation
import Synchronization
import TapedeckStore
import TapedeckRecording

/// The shares revoked before they expired, in memory: `/media` answers hundreds of ranges a
/// second and checks each URL that names a share against this set instead of the catalog.
///
/// Kept current from the catalog every couple of seconds (so a revocation on another instance
/// reaches this one that soon) and at once for revocations made here.
public final class RevokedShares: Sendable {
    private struct State {
        var fromCatalog: Set<UUID> = []
        /// Revoked here, with when: kept beside the catalog's set for a while, so that a refresh
        /// whose query ran before the revocation committed cannot drop it.
        var recent: [UUID: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public func contains(_ id: UUID) -> Bool {
        state.withLock { $0.fromCatalog.contains(id) || $0.recent[id] != nil }
    }

    public func insert(_ id: UUID) { state.withLock { $0.recent[id] = .now } }

    /// Replaces the catalog's part of the set (expired shares drop out: their URLs expire anyway).
    public func refresh(from catalog: Catalog) async throws {
        let current = Set(try await catalog.pool.shares.revokedUnexpired(now: catalog.clock.now()))
        state.withLock { state in
            state.fromCatalog = current
            state.recent = state.recent.filter { ContinuousClock.now - $0.value < Self.refreshInterval * 5 }
        }
    }

    /// How often ``refresh(from:)`` runs in `serve`.
    public static let refreshInterval: Duration = .seconds(2)
}
