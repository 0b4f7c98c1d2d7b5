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
