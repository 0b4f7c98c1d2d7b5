import ArgumentParser
import Foundation
import Synchronization
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TapedeckRecording

#if canImport(Glibc)
    import Glibc
#endif

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring an existing recording (MP4, HLS folder or playlist, file or URL) into Tapedeck.",
        discussion: """
            The recording is stored in the configured storage under {room}/{session}/ and catalogued as a
            recording of ROOM. Local files are not deleted. HLS imports store the segments and a playlist
            naming them; a master playlist URL imports its highest-bandwidth variant.
            """)

    @OptionGroup var common: CommonOptions

    @Argument(help: "A media file, a folder holding an HLS playlist, a .m3u8 file, or an http(s) URL of either.")
    var source: String

    @Option(help: "The room the recording belongs to.")
    var room: String

    @Option(help: "A title shown with the recording.")
    var title: String?

    @Option(name: .customLong("recorded-at"), help: "When it was recorded (RFC 3339, or YYYY-MM-DD); default now.")
    var recordedAt: String?

    @Option(name: .customLong("max-bytes"), help: "The most a URL import may download, all files together (default 100 GiB).")
    var maxBytes: Int64 = RecordingImporter.Options.defaultMaxBytes

    @Option(
        name: .customLong("captions"),
        help: "A WebVTT, SRT or 100ms transcript file to attach, as FILE or FILE:LANGUAGE (a BCP 47 tag; default und). Repeatable.")
    var captions: [String] = []

    /// `FILE[:LANGUAGE]`: the suffix is a language only when it reads as one (paths may hold colons).
    static func captionFile(_ argument: String) -> (path: String, language: LanguageTag) {
        if let colon = argument.lastIndex(of: ":"), let tag = LanguageTag(String(argument[argument.index(after: colon)...])) {
            return (String(argument[..<colon]), tag)
        }
        return (argument, LanguageTag("und")!)
    }

    func validate() throws {
        for argument in captions {
            let path = Self.captionFile(argument).path
            guard FileManager.default.isReadableFile(atPath: path) else { throw ValidationError("--captions: cannot read \(path)") }
        }
        let trimmed = room.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 128 else { throw ValidationError("--room must be 1 to 128 characters") }
        if let recordedAt, RFC3339.parse(recordedAt) == nil {
            throw ValidationError("--recorded-at must be a date like 2026-11-22 or 2026-11-22T09:30:00Z")
        }
        if let title, title.count > 300 { throw ValidationError("--title must be at most 300 characters") }
        guard maxBytes > 0 else { throw ValidationError("--max-bytes must be a positive number of bytes") }
    }

    func run() async throws {
        try await reportingFailures {
            let settings = try await common.settings()
            let logger = LoggingSetup.bootstrap(settings)
            let resolved: RecordingImporter.Source
            do {
                resolved = try RecordingImporter.resolve(source)
            } catch {
                throw Failure.message("\(error)")
            }
            let dependencies: AppDependencies
            do {
                dependencies = try await ServiceBootstrap.dependencies(settings, logger: logger, migrate: true)
            } catch let error as SettingsError {
                throw Failure.configuration(error)
            } catch {
                throw Failure.message("cannot open the catalog or storage: \(error)")
            }
            // Caption files are read first: a bad one stops the import before anything is stored.
            var captionTracks: [(String, LanguageTag, [NewCue])] = []
            for argument in captions {
                let (path, language) = Self.captionFile(argument)
                do {
                    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                    captionTracks.append((path, language, try CaptionFileImport.cues(bytes, kind: .captions, language: language, source: .upload)))
                } catch {
                    await dependencies.shutdown()
                    throw Failure.message("--captions \(path): \(error)")
                }
            }
            // The same track limit as uploads to the API: refused before anything is stored.
            let languages = Set(captionTracks.map { $0.1.value })
            if languages.count > settings.cueLimits.tracks {
                await dependencies.shutdown()
                throw Failure.message(
                    "--captions: \(languages.count) languages, but a recording may have at most \(settings.cueLimits.tracks) tracks (TAPEDECK_MAX_CUE_TRACKS)")
            }
            let importer = RecordingImporter(
                catalog: dependencies.catalog, store: dependencies.store, http: dependencies.http, logger: logger)
            let display = ProgressDisplay(interactive: isatty(STDERR_FILENO) == 1)
            let started = Date()
            do {
                let recording = try await importer.run(
                    resolved,
                    options: .init(
                        room: room.trimmingCharacters(in: .whitespaces), title: title,
                        recordedAt: recordedAt.flatMap(RFC3339.parse), maxBytes: maxBytes),
                    progress: { display.update($0) })
                display.finish()
                for (path, language, cues) in captionTracks {
                    let count = try await CaptionFileImport.replaceTrack(
                        cues, recordingID: recording.id, kind: .captions, language: language, source: .upload, actor: "cli",
                        trackLimit: settings.cueLimits.tracks, catalog: dependencies.catalog)
                    print("Attached \(count) captions (\(language.value)) from \(path)")
                }
                let seconds = max(Date().timeIntervalSince(started), 0.001)
                let size = recording.sizeBytes ?? 0
                print(
                    "Imported \(recording.id.uuidString.lowercased()) into room \"\(recording.roomName)\": \(ByteSizeText.readable(size)) in \(String(format: "%.1f", seconds)) s (\(recording.assets.map(\.kind.rawValue).joined(separator: ", ")))"
                )
            } catch {
                display.finish()
                await dependencies.shutdown()
                throw Failure.message("import failed: \(error)")
            }
            await dependencies.shutdown()
        }
    }
}

/// A progress bar on a terminal; plain lines (every 10%, or every 5 s without a total) otherwise.
final class ProgressDisplay: Sendable {
    let interactive: Bool
    private struct State {
        var lastDraw = Date.distantPast
        var lastStep = -1
        var drew = false
    }
    private let state = Mutex(State())
    private let started = Date()

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func update(_ progress: RecordingImporter.Progress) {
        let now = Date()
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(progress.bytes) / elapsed
        let line: String? = state.withLock { state in
            if interactive {
                guard now.timeIntervalSince(state.lastDraw) >= 0.1 || progress.bytes == progress.total else { return nil }
                state.lastDraw = now
                state.drew = true
                let fraction = progress.total > 0 ? min(1, Double(progress.bytes) / Double(progress.total)) : 0
                let filled = Int(fraction * 30)
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
                let amount = progress.total > 0
                    ? "\(ByteSizeText.readable(progress.bytes)) / \(ByteSizeText.readable(progress.total))"
                    : ByteSizeText.readable(progress.bytes)
                return "\r[\(bar)] \(String(format: "%3.0f", fraction * 100))%  \(amount)  \(ByteSizeText.readable(Int64(rate)))/s  "
            }
            let step = progress.total > 0
                ? Int(Double(progress.bytes) * 10 / Double(progress.total)) : Int(elapsed / 5)
            guard step > state.lastStep else { return nil }
            state.lastStep = step
            let percent = progress.total > 0 ? "\(step * 10)% " : ""
            return "imported \(percent)(\(ByteSizeText.readable(progress.bytes)), \(ByteSizeText.readable(Int64(rate)))/s)\n"
        }
        if let line { FileHandle.standardError.write(Data(line.utf8)) }
    }

    func finish() {
        if state.withLock({ $0.drew }) { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
