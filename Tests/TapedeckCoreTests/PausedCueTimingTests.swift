import Foundation
import Testing
import TapedeckCore
import TestSupport

/// Paused stretches are not in the media: wall-clock cues are placed with them taken out.
@Suite("Cue timing with pauses")
struct PausedCueTimingTests {
    static let start: Int64 = 1_795_339_800_000

    static func media(_ wall: Int64, _ pauses: [PausedStretch], offset: Int64 = 0) -> Int64 {
        CueTiming.mediaMs(wallClockMs: wall, mediaStartedAtMs: start, offsetMs: offset, pauses: pauses)
    }

    @Test("after a pause, media time is shorter by it; inside one, it is held at the cut")
    func examples() {
        let pause = [PausedStretch(startMs: Self.start + 10_000, endMs: Self.start + 25_000)]
        #expect(Self.media(Self.start + 9_000, pause) == 9_000)  // before: unchanged
        #expect(Self.media(Self.start + 10_000, pause) == 10_000)  // the cut
        #expect(Self.media(Self.start + 17_000, pause) == 10_000)  // inside: at the cut
        #expect(Self.media(Self.start + 25_000, pause) == 10_000)  // the resume is the cut too
        #expect(Self.media(Self.start + 26_000, pause) == 11_000)  // after: 15 s earlier
        #expect(Self.media(Self.start + 26_000, pause, offset: 500) == 11_500)
        // Still paused: everything from its start on is at the cut.
        let open = [PausedStretch(startMs: Self.start + 10_000)]
        #expect(Self.media(Self.start + 3_600_000, open) == 10_000)
        // A cue said wholly inside a pause lands at the cut with no length; one spanning it is
        // shortened by it.
        let inside = CueTiming.mediaSpan(
            wallStartMs: Self.start + 12_000, wallEndMs: Self.start + 14_000, mediaStartedAtMs: Self.start, offsetMs: 0, pauses: pause)
        #expect(inside == (10_000, 10_000))
        let spanning = CueTiming.mediaSpan(
            wallStartMs: Self.start + 8_000, wallEndMs: Self.start + 27_000, mediaStartedAtMs: Self.start, offsetMs: 0, pauses: pause)
        #expect(spanning == (8_000, 12_000))
        // Without pauses, the plain rule.
        #expect(Self.media(Self.start + 26_000, []) == CueTiming.mediaMs(wallClockMs: Self.start + 26_000, mediaStartedAtMs: Self.start))
    }

    /// Sorted, disjoint stretches after the media start, the last one open at random.
    static func stretches(_ random: inout SeededRandom) -> [PausedStretch] {
        var at = start + Int64.random(in: 0...20_000, using: &random)
        var out: [PausedStretch] = []
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let length = Int64.random(in: 1...30_000, using: &random)
            out.append(PausedStretch(startMs: at, endMs: at + length))
            at += length + Int64.random(in: 1...40_000, using: &random)
        }
        if !out.isEmpty, Bool.random(using: &random) { out[out.count - 1].endMs = nil }
        return out
    }

    @Test("generated: monotone; each pause passed shifts later cues by its length; inside a pause at its cut")
    func generated() {
        var random = SeededRandom(seed: 0x9A05E)
        for _ in 0..<500 {
            let pauses = Self.stretches(&random)
            let offset = Int64.random(in: -2_000...2_000, using: &random)
            let walls = (0..<40).map { _ in Self.start + Int64.random(in: -5_000...400_000, using: &random) }.sorted()
            let medias = walls.map { Self.media($0, pauses, offset: offset) }
            // Monotone: cues keep their order.
            #expect(zip(medias, medias.dropFirst()).allSatisfy { $0 <= $1 }, "\(pauses) \(walls)")
            for (wall, media) in zip(walls, medias) {
                let passed = pauses.reduce(Int64(0)) { sum, p in sum + (p.endMs.map { wall >= $0 ? $0 - p.startMs : 0 } ?? 0) }
                if let inside = pauses.first(where: { $0.startMs < wall && wall < ($0.endMs ?? .max) }) {
                    // At the cut: the media instant of the pause's start.
                    #expect(media == Self.media(inside.startMs, pauses, offset: offset))
                } else {
                    // The plain rule, shorter by every pause wholly before it.
                    #expect(media == max(0, wall - Self.start + offset - passed), "\(pauses) \(wall)")
                }
            }
            // Never more than the plain rule, never below 0.
            #expect(zip(walls, medias).allSatisfy { w, m in m >= 0 && m <= Self.media(w, [], offset: offset) })
        }
    }

    @Test("stored stretches: round trip, normalized whatever was stored, pausing and resuming once")
    func stretchesAsStored() {
        var random = SeededRandom(seed: 0x57AE7C)
        for _ in 0..<300 {
            let stretches = Self.stretches(&random)
            #expect(PausedStretches.decode(PausedStretches.encode(stretches)) == stretches)
            // Any order and overlaps: normalized to sorted, disjoint, at most the last open; and
            // the timing of the messy form equals that of the clean one.
            let messy = (stretches + stretches.prefix(2).map { PausedStretch(startMs: $0.startMs + 1, endMs: $0.endMs) }).shuffled(using: &random)
            let clean = PausedStretches.normalized(messy)
            #expect(zip(clean, clean.dropFirst()).allSatisfy { a, b in a.endMs.map { $0 < b.startMs } ?? false })
            let wall = Self.start + Int64.random(in: 0...400_000, using: &random)
            #expect(Self.media(wall, messy) == Self.media(wall, clean))
        }
        for text in [nil, "", "x", "[[1]]", "[[\"a\",2]]", "{}", "[[5,1]]", String(repeating: "[", count: 5000)] as [String?] {
            #expect(PausedStretches.decode(text) == [], "\(text ?? "nil")")
        }
        #expect(PausedStretches.decode("[[1,null]]") == [PausedStretch(startMs: 1)])
        // Pause, pause again (no change), resume, resume again (no change).
        let paused = PausedStretches.pausing([], at: 100)!
        #expect(paused == [PausedStretch(startMs: 100)])
        #expect(PausedStretches.pausing(paused, at: 150) == nil)
        let resumed = PausedStretches.resuming(paused, at: 200)!
        #expect(resumed == [PausedStretch(startMs: 100, endMs: 200)])
        #expect(PausedStretches.resuming(resumed, at: 250) == nil)
        // A clock that went back never makes a stretch end before it starts or overlap the last.
        #expect(PausedStretches.resuming(paused, at: 50) == [PausedStretch(startMs: 100, endMs: 100)])
        #expect(PausedStretches.pausing(resumed, at: 150) == resumed + [PausedStretch(startMs: 200)])
        // Extremes saturate rather than trap.
        #expect(CueTiming.mediaMs(wallClockMs: .max, mediaStartedAtMs: .min, pauses: [PausedStretch(startMs: .min, endMs: .max)]) >= 0)
        #expect(CueTiming.mediaMs(wallClockMs: .max, mediaStartedAtMs: 0, offsetMs: .max, pauses: [PausedStretch(startMs: .min, endMs: 0)]) >= 0)
        #expect(CueTiming.mediaMs(wallClockMs: .min, mediaStartedAtMs: .max, pauses: [PausedStretch(startMs: .min)]) == 0)
    }

    @Test("generated: pause and resume at the midpoints make a stretch as long as the real gap, however slow 100ms answers")
    func midpoints() {
        var random = SeededRandom(seed: 0x3D1D)
        var drift: Int64 = 0
        for _ in 0..<200 {
            // The recorder stops and starts writing halfway through each exchange (on average):
            // the latency of each direction is the same, whatever the exchange takes.
            let pauseSent = Int64.random(in: 1_700_000_000_000...1_800_000_000_000, using: &random)
            let pauseLatency = Int64.random(in: 0...4_000, using: &random) * 2
            let gap = Int64.random(in: 1_000...600_000, using: &random)
            let resumeLatency = Int64.random(in: 0...4_000, using: &random) * 2
            let resumeSent = pauseSent + pauseLatency / 2 + gap - resumeLatency / 2
            let start = PausedStretches.appliedAt(sentMs: pauseSent, answeredMs: pauseSent + pauseLatency)
            let end = PausedStretches.appliedAt(sentMs: resumeSent, answeredMs: resumeSent + resumeLatency)
            #expect(start >= pauseSent && start <= pauseSent + pauseLatency)
            drift += (end - start) - gap
        }
        #expect(drift == 0)
        #expect(PausedStretches.appliedAt(sentMs: 1_000, answeredMs: 3_001) == 2_000)
        #expect(PausedStretches.appliedAt(sentMs: 5_000, answeredMs: 4_000) == 5_000)
        #expect(PausedStretches.appliedAt(sentMs: .min, answeredMs: .max) == .min)
        #expect(PausedStretches.appliedAt(sentMs: .max - 2, answeredMs: .max) == .max - 1)
    }
}
