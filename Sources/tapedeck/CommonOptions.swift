import ArgumentParser
import Foundation
import Logging
import TapedeckServer
import TapedeckRecording

/// Options every command that reads settings accepts.
struct CommonOptions: ParsableArguments {
    @Option(help: "A file of NAME=value lines (same names as the environment variables).")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Overrides TAPEDECK_DATA_DIR.")
    var dataDirectory: String?

    @Option(name: .customLong("database-url"), help: "Overrides DATABASE_URL (postgres://... or sqlite:///path).")
    var databaseURL: String?

    var flags: [String: String] {
        var flags: [String: String] = [:]
        flags["TAPEDECK_DATA_DIR"] = dataDirectory
        flags["DATABASE_URL"] = databaseURL
        return flags
    }

    /// Reads the settings, or stops the process with one line naming the bad setting.
    func settings(extraFlags: [String: String] = [:]) async throws -> Settings {
        do {
            let values = try await ConfigurationSources.load(
                flags: flags.merging(extraFlags) { $1 }, configFile: config)
            return try Settings.parse(values)
        } catch let error as SettingsError {
            throw Failure.configuration(error)
        }
    }
}

/// Errors that end a command with one clear line and a non-zero exit code.
enum Failure: Error, CustomStringConvertible {
    case configuration(SettingsError)
    case message(String)

    var description: String {
        switch self {
        case .configuration(let error): "configuration error: \(error)"
        case .message(let message): message
        }
    }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning known failures into one line on stderr and an exit code:
    /// 78 (EX_CONFIG) for a bad setting, 1 otherwise.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as Failure {
            FileHandle.standardError.write(Data("tapedeck: \(failure)\n".utf8))
            if case .configuration = failure { throw ExitCode(78) }
            throw ExitCode.failure
        } catch let error as SettingsError {
            FileHandle.standardError.write(Data("tapedeck: configuration error: \(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

enum LoggingSetup {
    /// Configures the process-wide log output once, from the settings.
    /// `level` overrides the configured level (the demo keeps its own output readable).
    static func bootstrap(_ settings: Settings, level: Logger.Level? = nil) -> Logger {
        let level = level ?? settings.logLevel
        LoggingSystem.bootstrap { label in
            switch settings.logFormat {
            case .json:
                return JSONLogHandler(label: label, level: level)
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: "tapedeck")
        logger.logLevel = level
        return logger
    }
}

extension Settings {
    /// Human-readable facts printed at start-up (never a password).
    var summary: [(String, String)] {
        [
            ("database", database.redactedDescription),
            ("storage", storage.summary),
            ("public URL", publicURL),
            ("LiveKit webhook URL", "\(publicURL)/webhooks/livekit"),
        ] + hmsSummary
    }

    /// Where 100ms sends its webhooks and which header to set there (the value itself is never
    /// printed: it is the setting, or the hex of the generated key file).
    private var hmsSummary: [(String, String)] {
        guard let hms else { return [] }
        let value = hms.webhookSecret != nil
            ? "the value of TAPEDECK_HMS_WEBHOOK_SECRET"
            : "the hex of \(ServiceBootstrap.hmsWebhookSecretPath(self)) (xxd -p -c 64 <file>)"
        return [
            ("100ms webhook URL", "\(publicURL)/webhooks/100ms"),
            ("100ms webhook header", "\(HMSSettings.secretHeader): \(value)"),
        ]
    }
}
