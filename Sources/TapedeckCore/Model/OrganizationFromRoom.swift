import Foundation

/// `TAPEDECK_ORG_FROM`: how a room a provider reports for the first time finds its organization.
public enum OrganizationFromRoom: Sendable, Equatable {
    /// Rooms get an organization only through the API.
    case none
    /// The part of the room name before `separator` (`acme-math-101` → `acme`). Slugs may hold
    /// the separator themselves, so every prefix ending at a separator is a candidate, longest
    /// first (`acme-corp-math` tries `acme-corp`, then `acme`).
    case roomPrefix(separator: String)
    /// `tapedeck_org` in the room's metadata (a JSON object, LiveKit's `room.metadata`); for a
    /// provider without room metadata (100ms) the room name prefix as above.
    case roomMetadata(separator: String)

    public static let defaultSeparator = "-"

    /// The slugs to look for, best first; empty when the rule names none.
    public func candidates(roomName: String, metadata: String?, providerHasMetadata: Bool) -> [String] {
        switch self {
        case .none:
            return []
        case .roomPrefix(let separator):
            return Self.prefixes(of: roomName, separator: separator)
        case .roomMetadata(let separator):
            guard providerHasMetadata else { return Self.prefixes(of: roomName, separator: separator) }
            guard let metadata, let data = metadata.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let slug = object["tapedeck_org"] as? String, OrganizationSlug.problem(slug) == nil
            else { return [] }
            return [slug]
        }
    }

    static func prefixes(of name: String, separator: String) -> [String] {
        guard !separator.isEmpty else { return [] }
        var found: [String] = []
        var searchStart = name.startIndex
        while let range = name.range(of: separator, range: searchStart..<name.endIndex) {
            let prefix = String(name[name.startIndex..<range.lowerBound])
            if OrganizationSlug.problem(prefix) == nil { found.append(prefix) }
            searchStart = range.upperBound
        }
        return found.reversed()
    }

    public struct SettingProblem: Error, Equatable {
        public var description: String
    }

    /// Reads the two settings' values; a description of the problem for anything else.
    public static func parse(_ rule: String?, separator: String?) -> Result<OrganizationFromRoom, SettingProblem> {
        let separator = separator ?? defaultSeparator
        guard !separator.isEmpty, separator.unicodeScalars.count <= 8,
            !separator.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return .failure(SettingProblem(description: "TAPEDECK_ORG_SEPARATOR must be 1 to 8 printable characters")) }
        switch rule ?? "none" {
        case "none": return .success(.none)
        case "room_prefix": return .success(.roomPrefix(separator: separator))
        case "room_metadata": return .success(.roomMetadata(separator: separator))
        case let other:
            return .failure(SettingProblem(description: "TAPEDECK_ORG_FROM must be none, room_prefix or room_metadata, got \"\(other.prefix(40))\""))
        }
    }
}
