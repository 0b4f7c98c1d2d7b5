import Foundation

/// Raw setting values by name (`TAPEDECK_PORT`, `DATABASE_URL`, ...), with typed, validated reads.
///
/// Every read names the setting in its error, so a bad value stops start-up with one line that
/// says which setting is wrong and why.
public struct SettingValues: Sendable {
    private let lookup: @Sendable (String) -> String?

    public init(_ lookup: @escaping @Sendable (String) -> String?) {
        self.lookup = lookup
    }

    public init(_ values: [String: String]) {
        self.lookup = { values[$0] }
    }

    /// The trimmed value, or `nil` when unset or empty.
    public func string(_ name: String) -> String? {
        guard let raw = lookup(name)?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        return raw
    }

    public func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws(SettingsError) -> Int {
        guard let raw = string(name) else { return value }
        guard let parsed = Int(raw), range.contains(parsed) else {
            throw SettingsError(
                name, "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(raw)\"")
        }
        return parsed
    }

    public func optionalInt(_ name: String, in range: ClosedRange<Int>) throws(SettingsError) -> Int? {
        guard string(name) != nil else { return nil }
        return try int(name, default: 0, in: range)
    }

    public func bool(_ name: String, default value: Bool) throws(SettingsError) -> Bool {
        guard let raw = string(name) else { return value }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw SettingsError(name, "must be true or false, got \"\(raw)\"")
        }
    }

    public func choice<T: RawRepresentable & CaseIterable>(
        _ name: String, default value: T
    ) throws(SettingsError) -> T where T.RawValue == String {
        guard let raw = string(name) else { return value }
        guard let parsed = T(rawValue: raw.lowercased()) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw SettingsError(name, "must be one of \(options), got \"\(raw)\"")
        }
        return parsed
    }

    /// An absolute http(s) URL without a trailing slash.
    public func url(_ name: String) throws(SettingsError) -> String? {
        guard let raw = string(name) else { return nil }
        guard let components = URLComponents(string: raw), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw SettingsError(name, "must be an absolute http:// or https:// URL, got \"\(raw)\"")
        }
        guard components.query == nil, components.fragment == nil else {
            throw SettingsError(name, "must not have a query or fragment, got \"\(raw)\"")
        }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }
}
