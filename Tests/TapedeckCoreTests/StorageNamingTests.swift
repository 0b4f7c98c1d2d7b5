import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("Object key naming")
struct StorageNamingTests {
    @Test("every recording of a session gets a folder of its own")
    func ownFolder() {
        let first = UUID(), second = UUID()
        let a = StorageNaming.keyPrefix(room: "math-101", sessionKey: "math-101_2026-12-01_09-00-00", recordingID: first)
        let b = StorageNaming.keyPrefix(room: "math-101", sessionKey: "math-101_2026-12-01_09-00-00", recordingID: second)
        #expect(a == "math-101/math-101_2026-12-01_09-00-00/\(first.uuidString.lowercased().prefix(8))/")
        #expect(a != b)
        // Neither folder lies inside the other; both lie inside the session's.
        #expect(!a.hasPrefix(b) && !b.hasPrefix(a))
        #expect(a.hasPrefix("math-101/math-101_2026-12-01_09-00-00/"))
    }

    @Test("long names keep what makes them unique: a hash of the whole name replaces the cut")
    func longNames() {
        let room = String(repeating: "r", count: 250)
        let first = StorageNaming.keySegment(room + "_2026-12-01_09-00-00")
        let second = StorageNaming.keySegment(room + "_2026-12-01_09-00-00_2")
        #expect(first != second)
        #expect(first.utf8.count <= 160 && second.utf8.count <= 160)
        #expect(first.hasPrefix(String(repeating: "r", count: 100)))
        // Multi-byte names are cut on a character boundary and stay within the byte budget.
        let wide = StorageNaming.keySegment(String(repeating: "教室", count: 100))
        #expect(wide.utf8.count <= 160 && wide.unicodeScalars.allSatisfy { $0 != "\u{FFFD}" })
        // Short names are unchanged, and the result is stable.
        #expect(StorageNaming.keySegment("office-hours") == "office-hours")
        #expect(StorageNaming.keySegment(room) == StorageNaming.keySegment(room))
    }

    @Test("hostile names never leave their segment", arguments: HostileStrings.all)
    func hostile(_ name: String) {
        let segment = StorageNaming.keySegment(name)
        #expect(!segment.isEmpty && !segment.contains("/") && !segment.contains("\\"))
        #expect(segment != "." && segment != "..")
        #expect(!segment.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(segment.utf8.count <= 160)
    }
}

@Suite("Provider text")
struct ProviderTextTests {
    @Test("control characters are replaced, everything else kept")
    func cleaning() {
        #expect(ProviderText.cleaned("Ada\u{0}Lovelace") == "Ada\u{FFFD}Lovelace")
        #expect(ProviderText.cleaned("tab\there\u{7F}\u{85}") == "tab\u{FFFD}here\u{FFFD}\u{FFFD}")
        #expect(ProviderText.cleaned("Grace Hopper ✓ é") == "Grace Hopper ✓ é")
        for text in HostileStrings.all {
            #expect(!ProviderText.hasControlCharacters(ProviderText.cleaned(text)))
        }
    }
}
