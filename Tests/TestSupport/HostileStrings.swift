import Foundation

/// The project's corpus of strings every user- or provider-controlled field must survive
/// (`shared/testdata/hostile-strings.json`, beside the repository).
public enum HostileStrings {
    public static let all: [String] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = ProcessInfo.processInfo.environment["TAPEDECK_HOSTILE_STRINGS"]
            ?? root.deletingLastPathComponent().appendingPathComponent("shared/testdata/hostile-strings.json").path
        guard let data = FileManager.default.contents(atPath: path),
            let strings = try? JSONDecoder().decode([String].self, from: data), !strings.isEmpty
        else { fatalError("hostile-strings.json not found or unreadable at \(path) (set TAPEDECK_HOSTILE_STRINGS)") }
        return strings
    }()
}
