import Foundation
import TapedeckStore

/// The periodic work of a worker: queue housekeeping, retention, emails abandoned mid-send, the
/// LiveKit reconciler.
public enum Housekeeping {
    /// Finished jobs are kept this long (their idempotency keys keep deduplicating meanwhile).
    static package let doneJobRetention: TimeInterval = 7 * 86_400

    /// Webhook ids are remembered this long (providers stop redelivering within minutes).
    static package let inboundEventRetention: TimeInterval = 7 * 86_400

    public static func tasks(_ dependencies: RecordingDependencies) -> [PeriodicTask] {
        let catalog = dependencies.catalog
        var tasks = [
            PeriodicTask(name: "prune-finished-jobs", interval: .seconds(3600)) {
                try await catalog.pool.jobs.pruneDone(before: catalog.clock.now().addingTimeInterval(-doneJobRetention))
                try await catalog.pool.inboundEvents.prune(before: catalog.clock.now().addingTimeInterval(-inboundEventRetention))
                try await catalog.pool.adminSessions.prune(now: catalog.clock.now())
            }
        ]
        let retention = RetentionSweeper(
            catalog: catalog, scheduler: dependencies.scheduler, defaultPolicy: dependencies.defaultPolicy,
            logger: dependencies.logger)
        tasks.append(PeriodicTask(name: "retention", interval: .seconds(86_400)) {
            try await retention.run()
        })
        let logger = dependencies.logger
        // An email whose worker was killed during its last attempt would otherwise stay `sending`.
        tasks.append(PeriodicTask(name: "abandoned-emails", interval: .seconds(60)) {
            try await EmailDeliveryJob.failAbandoned(catalog: catalog, logger: logger)
        })
        let providers = dependencies.providers.all
        tasks.append(PeriodicTask(name: "reconciler", interval: dependencies.reconcileInterval) {
            for provider in providers {
                do {
                    try await provider.reconcile()
                } catch {
                    // One provider that cannot be asked must not hold up the others.
                    logger.warning("reconciling failed", metadata: ["provider": "\(provider.name)", "error": "\(error)"])
                }
            }
        })
        return tasks
    }
}
