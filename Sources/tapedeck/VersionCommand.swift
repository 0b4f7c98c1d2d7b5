import ArgumentParser
import TapedeckServer

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() async throws {
        print("tapedeck \(TapedeckVersion.current)")
    }
}
