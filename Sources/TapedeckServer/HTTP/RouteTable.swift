import Foundation
import Synchronization
import TapedeckRecording

/// The route templates the router serves, to answer 405 (with `Allow`) rather than 404 when a
/// path exists but not for the request's method.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: String, segments: [Substring])]>([])

    func register(method: String, template: String) {
        let segments = template.split(separator: "/")
        routes.withLock { $0.append((method, segments)) }
    }

    /// Methods some route serves at `path` (HEAD implied by GET), sorted; empty when the path is unknown.
    func allowedMethods(forPath path: String) -> [String] {
        let parts = path.split(separator: "/")
        let methods = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == parts.count
                    && zip(route.segments, parts).allSatisfy { template, part in
                        template.hasPrefix("{") || template.hasPrefix(":") || template == "*" || template == part
                    }
            }.map(\.method)
        }
        var allowed = Set(methods)
        if allowed.contains("GET") { allowed.insert("HEAD") }
        return allowed.sorted()
    }
}
