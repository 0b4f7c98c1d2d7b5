import ArgumentParser
import Foundation
import TapedeckServer
import TapedeckRecording

@main
struct Tapedeck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tapedeck",
        abstract: "Self-hosted recording service for LiveKit and 100ms sessions.",
        version: TapedeckVersion.current,
        subcommands: [
            ServeCommand.self, WorkerCommand.self, MigrateCommand.self, KeysCommand.self, ImportCommand.self,
            RetentionCommand.self, StatusCommand.self, DemoCommand.self, VersionCommand.self,
        ],
        defaultSubcommand: nil)
}
