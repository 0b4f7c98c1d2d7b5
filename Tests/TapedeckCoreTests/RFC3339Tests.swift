import Foundation
import Testing
import TapedeckCore

@Suite("Timestamps")
struct RFC3339Tests {
    @Test func formatsUTCWithMilliseconds() {
        #expect(RFC3339.format(0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(1_767_225_600_123) == "2026-01-01T00:00:00.123Z")
        #expect(RFC3339.format(-1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func parsesWhatItFormats() throws {
        for ms: Int64 in [0, 1, 999, 1_767_225_600_123, 4_102_444_799_999] {
            let parsed = try #require(RFC3339.parse(RFC3339.format(ms)))
            #expect(parsed.millisecondsSince1970 == ms)
        }
    }

    @Test func parsesOffsetsAndDates() throws {
        #expect(RFC3339.parse("2026-01-01T01:30:00+01:30")?.millisecondsSince1970 == 1_767_225_600_000)
        #expect(RFC3339.parse("2025-12-31T19:00:00-05:00")?.millisecondsSince1970 == 1_767_225_600_000)
        #expect(RFC3339.parse("2026-01-01")?.millisecondsSince1970 == 1_767_225_600_000)
        #expect(RFC3339.parse("2026-01-01 00:00:00Z")?.millisecondsSince1970 == 1_767_225_600_000)
    }

    @Test("rejects malformed times", arguments: [
        "", "2026", "2026-13-01", "2026-02-30", "2026-01-01T25:00:00Z", "2026-01-01T00:00:00",
        "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00Zjunk", "2026-01-01T00:00:00+1:00", "yesterday",
    ])
    func rejects(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func sessionKeysAreReadable() {
        let date = Date(millisecondsSince1970: 1_767_225_600_999)
        #expect(SessionKey.make(room: "math-101", startedAt: date) == "math-101_2026-01-01_00-00-00")
    }
}
