import Foundation
import TapedeckStore

/// The payload of a job that works on one recording: `{"recording_id": "..."}`.
package struct RecordingJobPayload: Codable, Sendable {
    package var recordingID: UUID
    package enum CodingKeys: String, CodingKey { case recordingID = "recording_id" }
}

/// A job kind that works on one recording and is queued at most once per recording (its
/// idempotency key is the kind and the recording id).
package protocol RecordingJob: JobHandler {
    static var kind: String { get }
    static var maxAttempts: Int { get }
}

package extension RecordingJob {
    package var kind: String { Self.kind }

    static package func newJob(recordingID: UUID) throws -> NewJob {
        try NewJob(
            kind: kind, payload: RecordingJobPayload(recordingID: recordingID),
            idempotencyKey: "\(kind):\(recordingID.uuidString.lowercased())", maxAttempts: maxAttempts)
    }
}
