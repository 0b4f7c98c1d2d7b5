import ArgumentParser
import TapedeckServer
import TapedeckRecording

struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")

    func run() async throws {
        print("tapedeck \(TapedeckVersion.current)")
    }
}
