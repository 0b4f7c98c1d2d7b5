import Foundation

/// A stretch of wall-clock time in which a recording was paused: its recorder kept the session
/// but wrote nothing, so the stretch is not in the media. `endMs` is nil while still paused.
public struct PausedStretch: Sendable, Equatable, Hashable {
    public var startMs: Int64
    public var endMs: Int64?

    public init(startMs: Int64, endMs: Int64? = nil) {
        self.startMs = startMs
        self.endMs = endMs
    }

    /// Milliseconds of this stretch before `wallClockMs` (all of it once the instant is past its
    /// end). Saturates instead of trapping.
    public func elapsed(before wallClockMs: Int64) -> Int64 {
        guard wallClockMs > startMs else { return 0 }
        let until = endMs.map { min($0, wallClockMs) } ?? wallClockMs
        let (elapsed, overflow) = until.subtractingReportingOverflow(startMs)
        return overflow ? .max : max(0, elapsed)
    }
}

/// A recording's paused stretches as kept in the catalog (`[[start, end], [start, null]]`, epoch
/// milliseconds) and the two changes a pause and a resume make to them.
public enum PausedStretches {
    /// More pauses than this are refused: each one costs every cue placement a term.
    public static let maximumCount = 100

    /// When a pause (or resume) sent at `sentMs` and confirmed at `answeredMs` took effect, as
    /// far as Tapedeck can tell: the recorder stopped (or started) writing somewhere between the
    /// two, so both ends of every stretch are taken at the midpoint. Taking the pause at the
    /// request and the resume at the answer would make each stretch longer than the real gap by
    /// both latencies, and cues after many pauses would drift early; at the midpoint the errors
    /// of the two ends cancel out on average and no longer add up. An answer stamped before its
    /// request (a clock stepped back) counts as the request.
    public static func appliedAt(sentMs: Int64, answeredMs: Int64) -> Int64 {
        let (latency, overflow) = answeredMs.subtractingReportingOverflow(sentMs)
        guard latency > 0, !overflow else { return sentMs }
        return sentMs + latency / 2
    }

    /// Sorted by start, overlaps merged, stretches ending before they start dropped, at most one
    /// open stretch (the last): what every reader may rely on, whatever was stored.
    public static func normalized(_ stretches: [PausedStretch]) -> [PausedStretch] {
        var merged: [PausedStretch] = []
        for stretch in stretches.sorted(by: { $0.startMs < $1.startMs }) {
            if let end = stretch.endMs, end < stretch.startMs { continue }
            if var last = merged.last, last.endMs.map({ stretch.startMs <= $0 }) ?? true {
                // Overlapping (or following an open one): one stretch to the later end.
                last.endMs = last.endMs.flatMap { end in stretch.endMs.map { max(end, $0) } }
                merged[merged.count - 1] = last
            } else {
                merged.append(stretch)
            }
        }
        return merged
    }

    /// The stretches after a pause at `atMs`; nil when already paused (nothing changes).
    public static func pausing(_ stretches: [PausedStretch], at atMs: Int64) -> [PausedStretch]? {
        let current = normalized(stretches)
        if let last = current.last, last.endMs == nil { return nil }
        // A clock that went back must not put the new stretch before the last one ended.
        let start = max(atMs, current.last?.endMs ?? atMs)
        return current + [PausedStretch(startMs: start)]
    }

    /// The stretches after a resume at `atMs`; nil when not paused (nothing changes).
    public static func resuming(_ stretches: [PausedStretch], at atMs: Int64) -> [PausedStretch]? {
        var current = normalized(stretches)
        guard let last = current.last, last.endMs == nil else { return nil }
        current[current.count - 1].endMs = max(atMs, last.startMs)
        return current
    }

    /// `[[start,end],...]`, with `null` for an open end; nil for none.
    public static func encode(_ stretches: [PausedStretch]) -> String? {
        guard !stretches.isEmpty else { return nil }
        return "[" + stretches.map { "[\($0.startMs),\($0.endMs.map(String.init) ?? "null")]" }.joined(separator: ",") + "]"
    }

    /// The stretches in `text`, normalized; none for nil or anything unreadable (a catalog value
    /// never stops a recording from loading).
    public static func decode(_ text: String?) -> [PausedStretch] {
        guard let data = text?.data(using: .utf8), let pairs = try? JSONDecoder().decode([[Int64?]].self, from: data) else {
            return []
        }
        return normalized(pairs.compactMap { pair in
            guard pair.count == 2, let start = pair[0] else { return nil }
            return PausedStretch(startMs: start, endMs: pair[1])
        })
    }
}
