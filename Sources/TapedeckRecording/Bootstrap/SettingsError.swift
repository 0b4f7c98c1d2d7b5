/// A configuration value that stops start-up: which setting, and what is wrong with it.
public struct SettingsError: Error, Equatable, CustomStringConvertible {
    public var setting: String
    public var problem: String

    public init(_ setting: String, _ problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(setting): \(problem)" }
}
