import Foundation
import LiveKit
import Logging
import TapedeckCore
import TapedeckStore

/// Stops a recording's egress. Stopping an egress that already ended counts as done, with the
/// outcome LiveKit reports for it.
package struct StopEgressJob: RecordingJob {
    static package let kind = "livekit.stop_egress"
    static package let maxAttempts = 10
    package let recorder: LiveKitRecorder

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        guard let egressID = recording.providerRecordingID, recording.status.isActive else { return }
        do {
            let info = try await recorder.api.stopEgress(id: egressID)
            _ = try await recorder.catalog.transaction { tx in try await recorder.applyEgress(tx, info, actor: "livekit") }
        } catch let error as TwirpError where error.meansAlreadyStopped || error.code == "not_found" {
            // Already ended: take its outcome now rather than wait for egress_ended (which may be
            // lost) or the reconciler. If LiveKit cannot say, one of those still will.
            logger.debug("egress already stopped", metadata: ["egress": "\(egressID)"])
            let reported = try? await recorder.api.listEgress(roomName: nil, egressID: egressID, activeOnly: false)
            if let info = reported?.first(where: { $0.egressID == egressID }), info.status.hasEnded {
                _ = try await recorder.catalog.transaction { tx in try await recorder.applyEgress(tx, info, actor: "livekit") }
            }
        }
    }
}
