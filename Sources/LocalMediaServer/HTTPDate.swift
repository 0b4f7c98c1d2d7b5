import Foundation
import ObjectStorage
import Synchronization

/// The `Date` header value (IMF-fixdate), formatted once per second.
enum HTTPDate {
    private static let cache = Mutex<(second: Int, text: String)>((-1, ""))

    static func now() -> String {
        let second = Int(Date().timeIntervalSince1970)
        if let hit = cache.withLock({ $0.second == second ? $0.text : nil }) { return hit }
        let text = IMFFixdate.format(secondsSince1970: second)
        cache.withLock { $0 = (second, text) }
        return text
    }
}
