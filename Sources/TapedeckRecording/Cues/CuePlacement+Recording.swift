import Foundation
import TapedeckCore
import TapedeckStore

/// How cues find their recording and their place on its media.
package enum CuePlacer {
    /// Recordings whose cues may still be placed: not ones that never recorded or are gone.
    package static let placeable: Set<RecordingStatus> = [.starting, .recording, .stopping, .processing, .ready]

    /// Where a live cue of `sessionID` goes: on the recording covering its start (the later
    /// started when two do), else held on the session.
    static func placement(of cue: NewCue, in sessionID: UUID, recordings: [Recording]) -> CuePlacement {
        guard case .wallClock(let startAt, let endAt) = cue.timing else {
            return CuePlacement(sessionID: sessionID, recordingID: nil, startMs: nil, endMs: nil)
        }
        let covering = recordings
            .filter { placeable.contains($0.status) }
            .compactMap { recording -> (Recording, Int64)? in
                guard let origin = recording.cueTimelineOrigin?.millisecondsSince1970 else { return nil }
                let end = recording.endedAt?.millisecondsSince1970 ?? .max
                return origin <= startAt && startAt < end ? (recording, origin) : nil
            }
            .max { $0.1 < $1.1 }
        guard let (recording, origin) = covering else {
            return CuePlacement(sessionID: sessionID, recordingID: nil, startMs: nil, endMs: nil)
        }
        let span = CueTiming.mediaSpan(
            wallStartMs: startAt, wallEndMs: endAt, mediaStartedAtMs: origin, offsetMs: recording.cueOffsetMs, pauses: recording.pauses)
        return CuePlacement(sessionID: sessionID, recordingID: recording.id, startMs: span.startMs, endMs: span.endMs)
    }

    /// Announces (`recording.captions_ready`, an outbound event) each track of a ready recording
    /// that has final cues now and had none in `before`.
    package static func announceNewTracks(
        _ tx: CatalogSession, recordingID: UUID, before: [CueTrack], actor: String
    ) async throws {
        guard let recording = try await tx.recordings.find(id: recordingID), recording.status == .ready else { return }
        let known = Set(before.map { "\($0.kind.rawValue)\n\($0.language)" })
        for track in try await tx.cues.tracks(recordingID: recordingID) where !known.contains("\(track.kind.rawValue)\n\(track.language)") {
            try await tx.events.append(
                NewAuditEvent(
                    recordingID: recordingID, sessionID: recording.sessionID, type: OutboundEventType.captionsReady.rawValue,
                    actor: actor,
                    data: ["kind": track.kind.rawValue, "language": track.language, "cue_count": String(track.cueCount)]))
        }
    }

    /// Places the session's held cues on `recording` and recomputes its wall-clock cues' media
    /// times: when it becomes ready (its media start, end and pauses are final), when the
    /// operator changes its offset, and when it is paused or resumed.
    package static func place(_ tx: CatalogSession, recordingID: UUID) async throws {
        guard let recording = try await tx.recordings.find(id: recordingID), placeable.contains(recording.status),
            let origin = recording.cueTimelineOrigin?.millisecondsSince1970
        else { return }
        try await tx.cues.place(
            recordingID: recording.id, sessionID: recording.sessionID, from: origin,
            until: recording.endedAt?.millisecondsSince1970, offsetMs: recording.cueOffsetMs, pauses: recording.pauses)
    }
}
