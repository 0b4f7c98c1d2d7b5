import Foundation

/// A directory under the system temporary folder, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public static func create(_ label: String = "tapedeck-test") throws -> TemporaryDirectory {
        let path = NSTemporaryDirectory() + "/\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return TemporaryDirectory(path: path)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
