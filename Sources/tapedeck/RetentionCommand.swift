import ArgumentParser
import Foundation
import TapedeckCore
import TapedeckServer
import TapedeckRecording

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Delete recordings past their retention now (serve does it daily); --dry-run only lists them.")

    @OptionGroup var common: CommonOptions

    @Flag(help: "List what would be deleted and the bytes it would free, without deleting.")
    var dryRun = false

    func run() async throws {
        try await reportingFailures {
            let settings = try await common.settings()
            let logger = LoggingSetup.bootstrap(settings)
            let dependencies = try await ServiceBootstrap.dependencies(settings, logger: logger, migrate: true)
            let result = try await RetentionReport.run(dependencies.recording, dryRun: dryRun)
            let lines = result.lines
            for line in lines {
                print("\(line.id.uuidString.lowercased())  \(line.room)  ended \(line.endedAt.rfc3339)  expired \(line.expiredAt.rfc3339)  \(line.sizeBytes) bytes")
            }
            let bytes = lines.map(\.sizeBytes).reduce(0, +)
            print(dryRun
                ? "\(lines.count) recording(s) would be deleted, freeing \(bytes) bytes."
                : "\(lines.count) recording(s) deleted; \(bytes) bytes are being freed by the job worker.")
            for held in result.heldCues {
                print("session \(held.sessionID.uuidString.lowercased())  \(held.room)  ended \(held.endedAt.rfc3339)  expired \(held.expiredAt.rfc3339)  \(held.cues) held cue(s)")
            }
            if !result.heldCues.isEmpty {
                let cues = result.heldCues.map(\.cues).reduce(0, +)
                print(dryRun
                    ? "\(cues) cue(s) held on \(result.heldCues.count) closed session(s) without a recording would be deleted."
                    : "\(cues) cue(s) held on \(result.heldCues.count) closed session(s) without a recording deleted.")
            }
            for room in result.skipped {
                print("skipped room \(room.room) (\(room.recordings) recording(s)): \(room.reason)")
            }
            await dependencies.shutdown()
        }
    }
}
