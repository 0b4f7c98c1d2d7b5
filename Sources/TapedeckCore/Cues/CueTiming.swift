import Foundation

/// Placing cues on a recording's media timeline.
///
/// Clients post cues in wall-clock time (when the words were said); players show them in media
/// time (milliseconds since the recording's first frame). A recording's `mediaStartedAtMs` is the
/// wall-clock instant of that first frame, and `offsetMs` a correction measured later (a
/// recorder that joins late, a provider whose timestamps run ahead).
public enum CueTiming {
    /// `wall - start + offset`, never below 0: words said before the first frame start with it.
    /// Saturates instead of trapping, so no input can crash the caller.
    public static func mediaMs(wallClockMs: Int64, mediaStartedAtMs: Int64, offsetMs: Int64 = 0) -> Int64 {
        let (since, overflow) = wallClockMs.subtractingReportingOverflow(mediaStartedAtMs)
        if overflow { return wallClockMs < mediaStartedAtMs ? 0 : .max }
        let (shifted, overflowAgain) = since.addingReportingOverflow(offsetMs)
        if overflowAgain { return offsetMs < 0 ? 0 : .max }
        return max(0, shifted)
    }

    /// Milliseconds of `pauses` before `wallClockMs`: the part of the wall clock up to that
    /// instant that is not in the media.
    public static func pausedMs(before wallClockMs: Int64, pauses: [PausedStretch]) -> Int64 {
        var total: Int64 = 0
        for stretch in PausedStretches.normalized(pauses) {
            let (sum, overflow) = total.addingReportingOverflow(stretch.elapsed(before: wallClockMs))
            total = overflow ? .max : sum
        }
        return total
    }

    /// `wall - start + offset - paused before wall`, never below 0. A paused stretch is not in
    /// the media, so the media after it comes that much earlier; an instant inside a pause is
    /// held at the cut (the media instant where the pause began and the resume continues).
    /// Non-decreasing in `wallClockMs`: cues keep their order.
    public static func mediaMs(wallClockMs: Int64, mediaStartedAtMs: Int64, offsetMs: Int64 = 0, pauses: [PausedStretch]) -> Int64 {
        guard !pauses.isEmpty else { return mediaMs(wallClockMs: wallClockMs, mediaStartedAtMs: mediaStartedAtMs, offsetMs: offsetMs) }
        // The wall clock with the pauses taken out; saturating, as everything here.
        let (unpaused, overflow) = wallClockMs.subtractingReportingOverflow(pausedMs(before: wallClockMs, pauses: pauses))
        return mediaMs(wallClockMs: overflow ? .min : unpaused, mediaStartedAtMs: mediaStartedAtMs, offsetMs: offsetMs)
    }

    /// A wall-clock cue's media start and end (the end never before the start). A cue said
    /// wholly inside a pause lands at the cut with no length; one spanning a pause is shortened
    /// by it.
    public static func mediaSpan(
        wallStartMs: Int64, wallEndMs: Int64, mediaStartedAtMs: Int64, offsetMs: Int64, pauses: [PausedStretch]
    ) -> (startMs: Int64, endMs: Int64) {
        let start = mediaMs(wallClockMs: wallStartMs, mediaStartedAtMs: mediaStartedAtMs, offsetMs: offsetMs, pauses: pauses)
        let end = mediaMs(wallClockMs: wallEndMs, mediaStartedAtMs: mediaStartedAtMs, offsetMs: offsetMs, pauses: pauses)
        return (start, max(start, end))
    }

    /// The recording a cue said at `wallClockMs` belongs to: the one whose `[startMs, endMs)`
    /// covers the instant (an absent end means still recording). Where recordings overlap (a
    /// restart while the old one drains), the later-started one wins, as it is the one still
    /// running afterwards; between two that started at the same instant, the later in the list.
    public static func recording<ID>(
        covering wallClockMs: Int64, among recordings: [(id: ID, startMs: Int64, endMs: Int64?)]
    ) -> ID? {
        var best: (id: ID, startMs: Int64)?
        for recording in recordings where recording.startMs <= wallClockMs {
            if let end = recording.endMs, wallClockMs >= end { continue }
            if best == nil || recording.startMs >= best!.startMs { best = (recording.id, recording.startMs) }
        }
        return best?.id
    }

    /// Epoch milliseconds of an RFC 3339 date-time with 0 to 9 fractional digits and `Z` or an
    /// offset (`2026-11-22T09:30:00Z`, `...T09:30:00.007990308+01:00`); digits past the
    /// millisecond are dropped. A date alone is refused: a cue needs a time of day.
    public static func epochMs(rfc3339 text: String) -> Int64? {
        let bytes = text.utf8
        guard bytes.count > 10 else { return nil }
        if let dot = bytes.firstIndex(of: UInt8(ascii: ".")) {
            let digits = bytes[bytes.index(after: dot)...].prefix { $0 >= 48 && $0 <= 57 }
            guard digits.count <= 9 else { return nil }
        }
        return RFC3339.parse(text)?.millisecondsSince1970
    }
}
