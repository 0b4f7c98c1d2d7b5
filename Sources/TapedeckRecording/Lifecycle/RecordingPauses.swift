import Foundation
import TapedeckCore
import TapedeckStore

/// What Tapedeck keeps of a pause or resume its provider confirmed: the paused stretch on the
/// recording, its event, and the recording's cues placed again, in one transaction. Written
/// after the provider answered, when the recorder has stopped (or started) writing: a pause
/// that 100ms refused leaves no stretch behind.
package enum RecordingPauses {
    /// Notes the pause (or resume) on `recording` and on `others` the provider paused with it
    /// (past their limit, those keep their stretches as they are).
    package static func note(
        _ paused: Bool, at: Date, recording: Recording, alsoOn others: [Recording] = [], actor: String, provider: String,
        catalog: Catalog
    ) async throws {
        do {
            try await catalog.transaction { tx in
                try await noteOne(tx, paused, at: at, recording: recording, actor: actor, provider: provider)
                for other in others {
                    do {
                        try await noteOne(tx, paused, at: at, recording: other, actor: actor, provider: provider)
                    } catch is TooManyPauses {}
                }
            }
        } catch is TooManyPauses {
            throw RecordingPauseError.tooManyPauses
        }
    }

    private static func noteOne(
        _ tx: CatalogSession, _ paused: Bool, at: Date, recording: Recording, actor: String, provider: String
    ) async throws {
        // A second pause (or resume) changes no stretch; its event still says who asked.
        let changed = try await tx.recordings.notePause(recording.id, paused: paused, at: at)
        try await tx.events.append(
            NewAuditEvent(
                recordingID: recording.id, sessionID: recording.sessionID,
                type: paused ? "recording.paused" : "recording.resumed", actor: actor,
                data: ["provider": provider, "at": at.rfc3339, "changed": changed ? "true" : "false"]))
        if changed { try await CuePlacer.place(tx, recordingID: recording.id) }
    }
}
