import Foundation
import TapedeckCore
import TapedeckStore

/// The local ffmpeg recorder as a ``RecordingProvider``. It has no reports: its own job runs each
/// recording from start to finish and resumes it after a crash, so there is nothing to reconcile.
extension LocalRecorder: RecordingProvider {
    package typealias Report = Never

    package var name: String { Self.provider }

    package func start(_ request: RecordingStartRequest) async throws -> Recording {
        guard case .local(let input, let participants) = request.options else {
            throw RecordingStartError.invalid(field: "input", message: "input is required for provider local")
        }
        let start = Start(
            room: request.room, input: input, maxDurationS: request.maxDurationS, title: request.title,
            participants: participants, requestedBy: request.requestedBy, requestKey: request.requestKey)
        guard let recording = try await catalog.transaction({ tx in try await self.start(tx, start) }) else {
            throw RecordingStartError.alreadyActive(room: request.room, recording: nil)
        }
        wakeup.signal()
        return recording
    }

    package func apply(_ report: Never) async throws -> ProviderReportOutcome {}

    package func reconcile() async throws {}

    package func writes(_ report: Never, into recording: Recording) -> Bool {}
}
