import Configuration
import Foundation
import SystemPackage

/// Where settings come from, highest precedence first: command-line flags, environment
/// variables, then the optional config file (`--config`, `NAME=value` lines using the same
/// names as the environment variables).
public enum ConfigurationSources {
    /// Setting names whose values are secrets: never printed by the configuration library.
    static package func isSecret(_ name: String) -> Bool {
        name.hasSuffix("SECRET") || name.hasSuffix("PASSWORD") || name.hasSuffix("SECRET_ACCESS_KEY")
            || name.hasSuffix("API_SECRET") || name.hasSuffix("SERVICE_KEY") || name.hasSuffix("TOKEN")
            || name == "DATABASE_URL"
            // Carries the SMTP password.
            || name == "TAPEDECK_SMTP_URL"
    }

    /// `TAPEDECK_S3_ACCESS_KEY_ID` ↔ `tapedeck.s3.access.key.id`: the environment provider maps
    /// these key components back to exactly that variable name.
    static package func key(_ name: String) -> ConfigKey {
        ConfigKey(name.lowercased().split(separator: "_").map(String.init))
    }

    /// Builds the reader for this process.
    public static func load(
        flags: [String: String], configFile: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> SettingValues {
        var providers: [any ConfigProvider] = []
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (name, value) in flags {
            flagValues[AbsoluteConfigKey(key(name))] = ConfigValue(.string(value), isSecret: isSecret(name))
        }
        providers.append(InMemoryProvider(name: "command line", values: flagValues))
        providers.append(
            EnvironmentVariablesProvider(
                environmentVariables: environment, secretsSpecifier: .dynamic { name, _ in isSecret(name) }))
        if let configFile {
            guard FileManager.default.isReadableFile(atPath: configFile) else {
                throw SettingsError("--config", "cannot read \(configFile)")
            }
            providers.append(
                try await EnvironmentVariablesProvider(
                    environmentFilePath: FilePath(configFile),
                    secretsSpecifier: .dynamic { name, _ in isSecret(name) }))
        }
        let reader = ConfigReader(providers: providers)
        return SettingValues { name in
            reader.string(forKey: key(name), isSecret: isSecret(name))
        }
    }
}
