/// What one session or recording may hold, so that a poster (a participant's viewer token above
/// all) cannot fill the catalog: cues per poster, and tracks (kind, language).
public struct CueLimits: Sendable, Equatable {
    /// Cues one poster keeps per session (live cues) or per recording (uploads):
    /// `TAPEDECK_MAX_CUES_PER_POSTER`. A 3-hour lecture captioned live is about 3,500.
    public var cuesPerPoster: Int
    /// Tracks (kind, language) per session or recording: `TAPEDECK_MAX_CUE_TRACKS`.
    public var tracks: Int

    public init(cuesPerPoster: Int = 100_000, tracks: Int = 40) {
        self.cuesPerPoster = cuesPerPoster
        self.tracks = tracks
    }
}
