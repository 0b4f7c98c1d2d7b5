import Foundation
import TapedeckCore
import TapedeckStore

/// A caption file (WebVTT, SRT, 100ms transcript JSON) as one track of a recording. A file
/// replaces the track's earlier file: uploading a corrected file leaves no line of the old one.
package enum CaptionFileImport {
    package enum Failure: Error, Equatable, CustomStringConvertible {
        case unrecognisedFormat
        case unreadable(CaptionFileError)
        case invalidText(line: Int, problem: String)

        package var description: String {
            switch self {
            case .unrecognisedFormat: "the file is not WebVTT, SRT or a 100ms transcript"
            case .unreadable(let error): "\(error)"
            case .invalidText(let line, let problem): "cue \(line): \(problem)"
            }
        }
    }

    /// The keys of a file's cues: its position in the file after this, so the next file of the
    /// track replaces exactly them and never a cue posted through the API.
    package static let keyPrefix = "caption-file:"

    /// The cues of `bytes`, keyed by their position in the file (a re-upload lands on the same keys).
    package static func cues(
        _ bytes: [UInt8], format: CaptionFileParser.Format? = nil, kind: CueKind, language: LanguageTag, source: CueSource
    ) throws(Failure) -> [NewCue] {
        guard let format = format ?? CaptionFileParser.detectFormat(bytes) else { throw .unrecognisedFormat }
        let parsed: [ParsedCaption]
        do {
            parsed = try CaptionFileParser.parse(bytes, format: format)
        } catch {
            throw .unreadable(error)
        }
        var cues: [NewCue] = []
        for (index, caption) in parsed.enumerated() {
            // The same rules as posted cues: a file is no way around them.
            let input = CueInput(
                cueKey: keyPrefix + String(index + 1), kind: kind.rawValue, language: language.value, startMs: caption.startMs,
                endMs: caption.endMs, text: caption.text, speaker: caption.speaker)
            do {
                let valid = try input.validated()
                cues.append(
                    NewCue(
                        key: valid.key, kind: valid.kind, language: valid.language.value,
                        timing: .media(startMs: caption.startMs, endMs: caption.endMs), text: valid.text, speaker: valid.speaker,
                        source: source))
            } catch {
                throw .invalidText(line: index + 1, problem: error.message)
            }
        }
        return cues
    }

    /// Replaces the recording's track of `kind` and `language` from files with `cues`, in one
    /// transaction, whether the earlier file was uploaded or the provider's; cues posted to the
    /// track (live or through the API, whose keys may not take the files' prefix) stay.
    /// A file that would add a track past `trackLimit` (`TAPEDECK_MAX_CUE_TRACKS`, as for posted
    /// cues) throws `CueIngest.Failure.tooManyTracks` and stores nothing; replacing a track's file
    /// adds none.
    package static func replaceTrack(
        _ cues: [NewCue], recordingID: UUID, kind: CueKind, language: LanguageTag, source: CueSource, actor: String,
        trackLimit: Int?, catalog: Catalog
    ) async throws -> Int {
        try await catalog.transaction { tx in
            let before = try await tx.cues.tracks(recordingID: recordingID)
            let scope = CueScope.recording(recordingID)
            let newTrack = try await !tx.cues.hasTrack(kind: kind, language: language.value, in: scope)
            try await tx.cues.deleteTrack(recordingID: recordingID, kind: kind, language: language.value, keyPrefix: keyPrefix)
            let poster = CueRepository.Poster(actor: actor, mayReplaceOthers: true)
            for cue in cues {
                _ = try await tx.cues.upsert(
                    cue, at: CuePlacement(sessionID: nil, recordingID: recordingID, startMs: nil, endMs: nil).media(cue), by: poster)
            }
            // Counted after the upserts, in the transaction and under the scope's lock, as
            // CueIngest.checkLimits does: two uploads at once cannot both take the last free track.
            if let trackLimit, newTrack, !cues.isEmpty {
                try await tx.cues.lockLimits(of: scope)
                if try await tx.cues.trackCount(in: scope) > trackLimit { throw CueIngest.Failure.tooManyTracks(limit: trackLimit) }
            }
            try await CuePlacer.announceNewTracks(tx, recordingID: recordingID, before: before, actor: actor)
            return cues.count
        }
    }
}

extension CuePlacement {
    /// The placement with the media times of a media-timed cue.
    fileprivate func media(_ cue: NewCue) -> CuePlacement {
        guard case .media(let start, let end) = cue.timing else { return self }
        var placement = self
        placement.startMs = start
        placement.endMs = end
        return placement
    }
}
