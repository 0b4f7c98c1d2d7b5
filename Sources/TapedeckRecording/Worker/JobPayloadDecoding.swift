import Foundation
import TapedeckCore
import TapedeckStore

// How every job handler reads its payload. A payload that does not decode now never will, so
// retrying it would only use up attempts: it fails the job for good, the same way in every
// handler (one place to change the rule or the message).

extension Job {
    /// The payload as `T`; a permanent failure when it does not decode.
    package func decodedPayload<T: Decodable>(as type: T.Type) throws -> T {
        do {
            return try payload(as: type)
        } catch {
            throw JobOutcome.permanentFailure("unreadable payload: \(error)")
        }
    }

    /// The recording a ``RecordingJobPayload`` job works on; a permanent failure when the
    /// payload is unreadable or the recording is gone.
    package func recording(in catalog: Catalog) async throws -> Recording {
        guard let id = try? payload(as: RecordingJobPayload.self).recordingID,
            let recording = try await catalog.pool.recordings.find(id: id)
        else { throw JobOutcome.permanentFailure("no such recording") }
        return recording
    }
}
