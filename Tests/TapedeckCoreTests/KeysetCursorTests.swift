import Foundation
import Testing
import TapedeckCore

@Suite("Keyset cursors")
struct KeysetCursorTests {
    @Test func roundTrip() throws {
        let scope = KeysetCursor.scope("recordings", filters: ["room": "standup", "status": nil])
        let cursor = KeysetCursor(scope: scope, sortValue: 1_767_225_600_123, tiebreaker: UUID().uuidString)
        let decoded = try KeysetCursor.decode(cursor.encode(), expectedScope: scope)
        #expect(decoded == cursor)
    }

    @Test func encodingIsURLSafe() {
        let cursor = KeysetCursor(scope: "recordings:abc", sortValue: .max, tiebreaker: "???>>>~~~")
        let text = cursor.encode()
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test func scopeDependsOnFiltersNotTheirOrder() {
        let a = KeysetCursor.scope("recordings", filters: ["room": "a", "status": "ready"])
        let b = KeysetCursor.scope("recordings", filters: ["status": "ready", "room": "a"])
        let c = KeysetCursor.scope("recordings", filters: ["room": "b", "status": "ready"])
        let d = KeysetCursor.scope("events", filters: ["room": "a", "status": "ready"])
        #expect(a == b)
        #expect(a != c)
        #expect(a != d)
        #expect(KeysetCursor.scope("recordings", filters: ["room": nil]) == KeysetCursor.scope("recordings"))
    }

    @Test func foreignCursorIsRefused() {
        let other = KeysetCursor(scope: KeysetCursor.scope("recordings", filters: ["room": "a"]), sortValue: 1)
        #expect(throws: KeysetCursor.DecodeError.foreign) {
            try KeysetCursor.decode(other.encode(), expectedScope: KeysetCursor.scope("recordings"))
        }
    }

    @Test("malformed cursors are refused", arguments: [
        "", "not a cursor", "%%%", "eyJ2IjoyfQ", "e30", String(repeating: "A", count: 600), "abc=",
        Base64URL.encode(Data("{\"v\":2,\"s\":\"x\",\"k\":1,\"t\":\"\"}".utf8)),
        Base64URL.encode(Data("{\"v\":1,\"s\":\"x\",\"k\":\"one\",\"t\":\"\"}".utf8)),
    ])
    func malformed(text: String) {
        #expect(throws: KeysetCursor.DecodeError.malformed) {
            try KeysetCursor.decode(text, expectedScope: "x")
        }
    }

    @Test func base64URLRoundTripsEveryLength() {
        for length in 0..<40 {
            let bytes = Data((0..<length).map { UInt8(($0 * 37 + 250) % 256) })
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }
}
