import AsyncHTTPClient
import Foundation
import HMS
import Logging
import NIOCore
import TapedeckCore
import TapedeckStore

/// 100ms' own transcript of a recording becoming its captions track (JSON preferred: it names
/// the speakers). The recording is ready without it: a transcript that cannot be read is logged
/// and written to the recording's events, never a failure. Copying again replaces the track, so
/// a second copy (the copy-in's and a late `transcription.success`'s) changes nothing.
package struct HMSTranscriptCopy: Sendable {
    package let recorder: HMSRecorder
    package let http: HTTPClient

    /// The transcript among `assets`, when 100ms has finished one.
    static package func transcript(in assets: [HMSAsset]) -> HMSAsset? {
        let transcripts = assets.filter { $0.type == "transcript" && $0.status == "completed" }
        return transcripts.first(where: { $0.outputMode == "json" }) ?? transcripts.first(where: { $0.outputMode == "srt" })
    }

    /// Copies the transcript among `assets`; false when there is none (yet).
    @discardableResult
    package func copy(_ assets: [HMSAsset], into recording: Recording, logger: Logger) async -> Bool {
        guard let transcript = Self.transcript(in: assets) else { return false }
        let format: CaptionFileParser.Format = transcript.outputMode == "json" ? .hmsTranscriptJSON : .srt
        do {
            let presigned = try await recorder.api.presignedURL(assetID: transcript.id, lifetime: HMSDownload.presignLifetime)
            let response = try await http.execute(HTTPClientRequest(url: presigned.url), timeout: .minutes(2))
            guard response.status == .ok else {
                throw HMSError(status: Int(response.status.code), message: "downloading the transcript answered \(response.status.code)")
            }
            let body = try await response.body.collect(upTo: CaptionFileParser.maximumBytes)
            let language = recorder.transcriptLanguage
            let cues = try CaptionFileImport.cues(Array(buffer: body), format: format, kind: .captions, language: language, source: .provider)
            let count = try await CaptionFileImport.replaceTrack(
                cues, recordingID: recording.id, kind: .captions, language: language, source: .provider, actor: HMSRecorder.provider,
                // The provider's own transcript, one track a recording: not a poster's to limit.
                trackLimit: nil, catalog: recorder.catalog)
            logger.info("copied a 100ms transcript", metadata: ["recording": "\(recording.id)", "cues": "\(count)"])
        } catch {
            logger.warning("100ms transcript not copied", metadata: ["recording": "\(recording.id)", "error": "\(error)"])
            try? await recorder.catalog.pool.events.append(
                NewAuditEvent(
                    recordingID: recording.id, sessionID: recording.sessionID, type: "recording.transcript_failed",
                    actor: HMSRecorder.provider, data: ["asset": transcript.id, "error": String("\(error)".prefix(500))]))
        }
        return true
    }
}

/// A transcript 100ms finishes after the recording was copied in (`transcription.success`
/// comes minutes later for long sessions): asks 100ms for the recording's assets, as for every
/// webhook, and copies the transcript it reports. While the copy-in has not finished, waits for
/// it rather than racing it; a recording that failed or was deleted meanwhile gets nothing.
package struct HMSTranscriptJob: JobHandler {
    static package let kind = "hms.copy_transcript"
    package var kind: String { Self.kind }
    package let recorder: HMSRecorder
    package let http: HTTPClient

    /// One job per webhook: a transcript redone later is copied again.
    static package func newJob(recordingID: UUID, reason: String) throws -> NewJob {
        try NewJob(
            kind: kind, payload: RecordingJobPayload(recordingID: recordingID),
            idempotencyKey: "\(kind):\(recordingID.uuidString.lowercased()):\(reason)", maxAttempts: 8)
    }

    package func run(_ job: Job, logger: Logger) async throws {
        let recording = try await job.recording(in: recorder.catalog)
        guard recording.status == .ready else {
            if recording.status.isFinal { return }
            throw JobOutcome.postpone(reason: "the recording is not copied in yet", seconds: 30)
        }
        guard let hmsID = recording.providerRecordingID else { return }
        let hms = try await recorder.api.recording(id: hmsID)
        var assets = hms.assets ?? []
        if HMSTranscriptCopy.transcript(in: assets) == nil {
            assets = try await recorder.api.assets(roomID: hms.roomID, sessionID: hms.sessionID).filter { $0.jobID == hms.id }
        }
        guard try await HMSTranscriptCopy(recorder: recorder, http: http).copy(assets, into: recording, logger: logger) else {
            throw HMSError(status: 0, message: "100ms reports no finished transcript for recording \(hmsID) yet")
        }
    }
}
