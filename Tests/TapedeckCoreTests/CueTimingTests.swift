import Foundation
import Testing
import TapedeckCore

@Suite("Cue timing")
struct CueTimingTests {
    @Test("media time is wall clock minus the media start plus the offset, never below 0")
    func mediaTime() {
        let start: Int64 = 1_795_339_800_000
        #expect(CueTiming.mediaMs(wallClockMs: start, mediaStartedAtMs: start) == 0)
        #expect(CueTiming.mediaMs(wallClockMs: start + 1_250, mediaStartedAtMs: start) == 1_250)
        #expect(CueTiming.mediaMs(wallClockMs: start + 1_250, mediaStartedAtMs: start, offsetMs: 400) == 1_650)
        #expect(CueTiming.mediaMs(wallClockMs: start + 1_250, mediaStartedAtMs: start, offsetMs: -2_000) == 0)
        #expect(CueTiming.mediaMs(wallClockMs: start - 5_000, mediaStartedAtMs: start) == 0)
        // Extremes saturate rather than trap.
        #expect(CueTiming.mediaMs(wallClockMs: .max, mediaStartedAtMs: .min) == .max)
        #expect(CueTiming.mediaMs(wallClockMs: .min, mediaStartedAtMs: .max) == 0)
        #expect(CueTiming.mediaMs(wallClockMs: .max, mediaStartedAtMs: 0, offsetMs: .max) == .max)
        #expect(CueTiming.mediaMs(wallClockMs: 0, mediaStartedAtMs: 0, offsetMs: .min) == 0)
    }

    @Test("a cue belongs to the recording covering its start; [start, end) intervals")
    func covering() {
        let recordings: [(id: String, startMs: Int64, endMs: Int64?)] = [
            ("first", 1_000, 5_000), ("second", 6_000, 9_000), ("live", 12_000, nil),
        ]
        #expect(CueTiming.recording(covering: 999, among: recordings) == nil)
        #expect(CueTiming.recording(covering: 1_000, among: recordings) == "first")
        #expect(CueTiming.recording(covering: 4_999, among: recordings) == "first")
        #expect(CueTiming.recording(covering: 5_000, among: recordings) == nil)
        #expect(CueTiming.recording(covering: 8_999, among: recordings) == "second")
        #expect(CueTiming.recording(covering: 9_000, among: recordings) == nil)
        #expect(CueTiming.recording(covering: 12_000, among: recordings) == "live")
        #expect(CueTiming.recording(covering: .max, among: recordings) == "live")
        #expect(CueTiming.recording(covering: 3_000, among: [(id: String, startMs: Int64, endMs: Int64?)]()) == nil)
    }

    @Test("where recordings overlap, the later-started one wins, whatever the list order")
    func overlap() {
        let a: (id: Int, startMs: Int64, endMs: Int64?) = (1, 0, 10_000)
        let b: (id: Int, startMs: Int64, endMs: Int64?) = (2, 8_000, nil)
        #expect(CueTiming.recording(covering: 9_000, among: [a, b]) == 2)
        #expect(CueTiming.recording(covering: 9_000, among: [b, a]) == 2)
        #expect(CueTiming.recording(covering: 7_999, among: [b, a]) == 1)
        #expect(CueTiming.recording(covering: 10_500, among: [b, a]) == 2)
        // Same start: the later in the list.
        let c: (id: Int, startMs: Int64, endMs: Int64?) = (3, 8_000, 20_000)
        #expect(CueTiming.recording(covering: 9_000, among: [a, b, c]) == 3)
        #expect(CueTiming.recording(covering: 9_000, among: [a, c, b]) == 2)
    }

    @Test(
        "RFC 3339 with 0 to 9 fractional digits and offsets",
        arguments: [
            ("2026-11-22T09:30:00Z", 1_795_339_800_000), ("2026-11-22T09:30:00.1Z", 1_795_339_800_100),
            ("2026-11-22T09:30:00.12Z", 1_795_339_800_120), ("2026-11-22T09:30:00.125Z", 1_795_339_800_125),
            ("2026-11-22T09:30:00.007990308Z", 1_795_339_800_007), ("2026-11-22T10:30:00.5+01:00", 1_795_339_800_500),
            ("2026-11-22T04:00:00-05:30", 1_795_339_800_000), ("2026-11-22t09:30:00z", 1_795_339_800_000),
            ("1970-01-01T00:00:00Z", 0),
        ] as [(String, Int64)])
    func parses(_ text: String, _ ms: Int64) {
        #expect(CueTiming.epochMs(rfc3339: text) == ms)
    }

    @Test(
        "refuses dates alone, more than 9 fractional digits and malformed times",
        arguments: [
            "2026-11-22", "2026-11-22T09:30:00.1234567890Z", "2026-11-22T09:30:00", "2026-11-22T09:30Z",
            "2026-11-22T09:30:00.Z", "1795339800000", "", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z",
            "2026-11-22T09:30:00+0100",
        ])
    func refuses(_ text: String) {
        #expect(CueTiming.epochMs(rfc3339: text) == nil)
    }
}
