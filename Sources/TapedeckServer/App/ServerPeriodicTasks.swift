import TapedeckRecording

/// The periodic work of `serve`: the worker's (``Housekeeping``) and keeping the set of revoked
/// shares and the verified API keys current, which only serving needs.
public enum ServerPeriodicTasks {
    public static func tasks(_ dependencies: AppDependencies) -> [PeriodicTask] {
        let catalog = dependencies.catalog
        let revoked = dependencies.revokedShares
        let keys = dependencies.verifiedKeys
        return Housekeeping.tasks(dependencies.recording) + [
            // Each instance keeps its own copy of the set.
            PeriodicTask(name: "revoked-shares", interval: RevokedShares.refreshInterval, scope: .everyInstance) {
                try await revoked.refresh(from: catalog)
            },
            PeriodicTask(name: "verified-keys", interval: VerifiedKeys.refreshInterval, scope: .everyInstance) {
                try await keys.refresh(from: catalog)
            },
        ]
    }
}
