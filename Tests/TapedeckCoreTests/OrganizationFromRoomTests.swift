import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("Organization of a room")
struct OrganizationFromRoomTests {
    @Test("room prefixes, longest first, only valid slugs")
    func prefixes() {
        let rule = OrganizationFromRoom.roomPrefix(separator: "-")
        #expect(rule.candidates(roomName: "acme-corp-math", metadata: nil, providerHasMetadata: true) == ["acme-corp", "acme"])
        #expect(rule.candidates(roomName: "plain", metadata: nil, providerHasMetadata: true) == [])
        #expect(rule.candidates(roomName: "-x", metadata: nil, providerHasMetadata: true) == [])
        #expect(rule.candidates(roomName: "ACME-x", metadata: nil, providerHasMetadata: true) == [])
        #expect(OrganizationFromRoom.roomPrefix(separator: "::").candidates(roomName: "a::b::c", metadata: nil, providerHasMetadata: true) == ["a::b", "a"].filter { OrganizationSlug.problem($0) == nil })
        #expect(OrganizationFromRoom.none.candidates(roomName: "acme-x", metadata: #"{"tapedeck_org":"acme"}"#, providerHasMetadata: true) == [])
    }

    @Test("metadata names the organization; hostile metadata and names find none or a valid slug")
    func metadata() {
        let rule = OrganizationFromRoom.roomMetadata(separator: "-")
        #expect(rule.candidates(roomName: "x", metadata: #"{"tapedeck_org":"acme"}"#, providerHasMetadata: true) == ["acme"])
        #expect(rule.candidates(roomName: "acme-x", metadata: nil, providerHasMetadata: true) == [])
        #expect(rule.candidates(roomName: "acme-x", metadata: nil, providerHasMetadata: false) == ["acme"])
        #expect(rule.candidates(roomName: "x", metadata: #"{"tapedeck_org":"../etc"}"#, providerHasMetadata: true) == [])
        for hostile in HostileStrings.all {
            for candidate in rule.candidates(roomName: hostile, metadata: hostile, providerHasMetadata: true)
                + OrganizationFromRoom.roomPrefix(separator: "-").candidates(roomName: hostile, metadata: nil, providerHasMetadata: true)
            {
                #expect(OrganizationSlug.problem(candidate) == nil, "\(hostile)")
            }
        }
    }

    @Test("settings: values and refusals")
    func parsing() {
        #expect(OrganizationFromRoom.parse(nil, separator: nil) == .success(.none))
        #expect(OrganizationFromRoom.parse("room_prefix", separator: nil) == .success(.roomPrefix(separator: "-")))
        #expect(OrganizationFromRoom.parse("room_metadata", separator: "_") == .success(.roomMetadata(separator: "_")))
        if case .success = OrganizationFromRoom.parse("prefix", separator: nil) { Issue.record("an unknown rule was accepted") }
        if case .success = OrganizationFromRoom.parse("room_prefix", separator: "") { Issue.record("an empty separator was accepted") }
    }

    @Test("slugs")
    func slugs() {
        for good in ["a", "acme", "acme-corp", "a1", String(repeating: "a", count: 63)] { #expect(OrganizationSlug.problem(good) == nil) }
        for bad in ["", "-a", "a-", "A", "a b", "a_b", "é", String(repeating: "a", count: 64)] {
            #expect(OrganizationSlug.problem(bad) != nil, "\(bad)")
        }
        // Whatever hostile text is accepted is plain lower-case ASCII, digits and hyphens.
        for hostile in HostileStrings.all where OrganizationSlug.problem(hostile) == nil {
            #expect(hostile.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }, "\(hostile)")
        }
    }
}

@Suite("Organization usage per day")
struct OrganizationUsageTests {
    let day: TimeInterval = 86_400

    @Test("hours by end day, storage at each day's end, views and failures by day")
    func aggregate() throws {
        let start = try #require(OrganizationUsage.dayStart("2026-03-01"))
        let recordings = [
            UsageRecording(createdAt: start.addingTimeInterval(3600), endedAt: start.addingTimeInterval(7200), durationMs: 3_600_000,
                           sizeBytes: 100, failed: false, deletedAt: start.addingTimeInterval(day + 10)),
            UsageRecording(createdAt: start.addingTimeInterval(day + 5), endedAt: start.addingTimeInterval(day + 6), durationMs: 1000,
                           sizeBytes: nil, failed: true, deletedAt: nil),
            UsageRecording(createdAt: start.addingTimeInterval(day - 60), endedAt: start.addingTimeInterval(day + 1800),
                           durationMs: 1_800_000, sizeBytes: 50, failed: false, deletedAt: nil),
        ]
        let views = [start.addingTimeInterval(10), start.addingTimeInterval(day + 1), start.addingTimeInterval(day + 2)]
        let days = OrganizationUsage.aggregate(recordings: recordings, views: views, from: start, days: 3)
        #expect(days.map(\.date) == ["2026-03-01", "2026-03-02", "2026-03-03"])
        #expect(days.map(\.recordedMs) == [3_600_000, 1_800_000, 0])
        #expect(days.map(\.bytesStored) == [150, 50, 50])
        #expect(days.map(\.views) == [1, 2, 0])
        #expect(days.map(\.failedRecordings) == [0, 1, 0])
        // Totals over the days never exceed what was there: hours and failures are counted once.
        let counted: Int64 = days.map(\.recordedMs).reduce(0, +)
        let recorded: Int64 = recordings.filter { !$0.failed }.compactMap(\.durationMs).reduce(0, +)
        #expect(counted == recorded)
    }

    @Test("days are strict UTC dates")
    func dates() {
        #expect(OrganizationUsage.dayStart("2026-02-28") != nil)
        for bad in ["2026-02-30", "2026-13-01", "26-01-01", "2026-1-1", "", "2026-01-01T00:00:00Z", "２０２６-01-01"] {
            #expect(OrganizationUsage.dayStart(bad) == nil, "\(bad)")
        }
        #expect(OrganizationUsage.dayText(OrganizationUsage.dayStart("2026-12-31")!) == "2026-12-31")
    }
}
