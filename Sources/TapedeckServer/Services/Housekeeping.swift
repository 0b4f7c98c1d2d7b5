import Foundation
import TapedeckStore

/// Queue housekeeping that runs in `serve`.
public enum Housekeeping {
    /// Finished jobs are kept this long (their idempotency keys keep deduplicating meanwhile).
    static let doneJobRetention: TimeInterval = 7 * 86_400

    public static func tasks(_ dependencies: AppDependencies) -> [PeriodicTask] {
        let catalog = dependencies.catalog
        return [
            PeriodicTask(name: "prune-finished-jobs", interval: .seconds(3600)) {
                try await catalog.pool.jobs.pruneDone(before: catalog.clock.now().addingTimeInterval(-doneJobRetention))
            }
        ]
    }
}
