import Foundation
import TestSupport
import Testing

@testable import TapedeckServer
@testable import TapedeckRecording

/// The share-bound object links of cloud storage: every field is signed, and a key cannot pass
/// for another field whatever it holds.
@Suite struct SharedObjectLinkTests {
    let keys = PlaybackKeys.ephemeral(publicURL: "https://tapedeck.example")
    let recording = UUID()
    let share = UUID()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func parts(_ path: String) -> [String: String] {
        let query = URLComponents(string: "https://x" + path)!.queryItems!
        return Dictionary(uniqueKeysWithValues: query.map { ($0.name, $0.value ?? "") })
    }

    func verifies(_ key: String, _ use: SharedObjectUse, _ expires: String?, _ share: String, _ sig: String?, at now: Date) -> Bool {
        keys.verifySharedObject(
            recordingID: recording.uuidString.lowercased(), key: key, use: use, expires: expires, share: share, signature: sig, now: now)
    }

    @Test func aLinkVerifiesOnlyAsIssuedAndUntilItExpires() {
        let key = "room/session/abcd1234/segment_00001.ts"
        let path = keys.sharedObjectPath(recordingID: recording, key: key, use: .segment, expires: 1_800_000_100, share: share)
        #expect(path.hasPrefix("/share-object/\(recording.uuidString.lowercased())/segment?"))
        let query = parts(path)
        let shareID = share.uuidString.lowercased()
        #expect(query["key"] == key)
        #expect(verifies(key, .segment, query["expires"], shareID, query["sig"], at: now))
        #expect(!verifies(key, .segment, query["expires"], shareID, query["sig"], at: now.addingTimeInterval(101)))
        #expect(!verifies(key + "x", .segment, query["expires"], shareID, query["sig"], at: now))
        #expect(!verifies(key, .file, query["expires"], shareID, query["sig"], at: now))
        #expect(!verifies(key, .segment, "1800000200", shareID, query["sig"], at: now))
        #expect(!verifies(key, .segment, query["expires"], UUID().uuidString.lowercased(), query["sig"], at: now))
        #expect(!verifies(key, .segment, query["expires"], shareID, nil, at: now))
        #expect(!verifies(key, .segment, nil, shareID, query["sig"], at: now))
    }

    @Test func keysWithSeparatorsAndHostileTextRoundTrip() {
        for text in HostileStrings.all where !text.isEmpty {
            let key = "room/\(text)/seg.ts"
            let path = keys.sharedObjectPath(recordingID: recording, key: key, use: .file, expires: 1_800_000_100, share: share)
            let query = parts(path)
            #expect(query["key"] == key, "\(text.debugDescription)")
            #expect(verifies(key, .file, query["expires"], share.uuidString.lowercased(), query["sig"], at: now))
            // A key that ends where another begins cannot borrow its signature.
            #expect(!verifies(key + "\n", .file, query["expires"], share.uuidString.lowercased(), query["sig"], at: now))
        }
    }
}
