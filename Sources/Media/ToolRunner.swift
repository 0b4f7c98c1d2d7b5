import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A failure of ffmpeg or ffprobe, with the end of what the tool wrote to stderr.
public enum MediaToolError: Error, Equatable, CustomStringConvertible {
    case missing(String)
    case failed(tool: String, status: Int32, stderr: String)
    case timedOut(tool: String, seconds: Double, stderr: String)
    case unreadableOutput(tool: String, detail: String)
    /// The process has no file descriptors left to start the tool with; trying later may work.
    case outOfDescriptors(tool: String)

    public var description: String {
        switch self {
        case .missing(let tool): "\(tool) is not installed (install the ffmpeg package)"
        case .failed(let tool, let status, let stderr): "\(tool) exited with status \(status): \(stderr)"
        case .timedOut(let tool, let seconds, let stderr): "\(tool) did not finish within \(Int(seconds)) s: \(stderr)"
        case .unreadableOutput(let tool, let detail): "\(tool) output could not be read: \(detail)"
        case .outOfDescriptors(let tool): "\(tool) could not be started: the server is out of file descriptors"
        }
    }
}

/// Runs a media tool as a subprocess: stdout collected, the last lines of stderr kept for errors,
/// a timeout, and termination when the calling task is cancelled.
public struct ToolRunner: Sendable {
    public let executable: String
    /// Scheduling priority of the runs (`nice`): post-processing is background work and should
    /// not slow the requests and webhooks the server is answering at the same time.
    public var niceness: Int32
    public static let keptStderrLines = 12

    public init(executable: String, niceness: Int32 = 0) {
        self.executable = executable
        self.niceness = niceness
    }

    /// The tool's path, searched in `PATH` like a shell would; `nil` if it is not installed.
    public static func locate(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public var name: String { (executable as NSString).lastPathComponent }

    public func run(_ arguments: [String], timeout: Double) async throws -> Data {
        // Before any pipe or handler: Foundation and Dispatch trap, rather than throw, when
        // they find no descriptor for the pipes, the /dev/null, the socket pair, a run loop.
        try ensureDescriptors(Self.descriptorsToStart)
        let stdout = try makePipe()
        let collected = OutputCollector()
        stdout.fileHandleForReading.readabilityHandler = { handle in collected.appendOut(handle.availableData) }
        let (process, stderr, finished) = try start(
            arguments, stdout: stdout, stdin: FileHandle.nullDevice, collected: collected, niceness: niceness)
        let pid = process.processIdentifier
        let timer = Task {
            try await Task.sleep(for: .seconds(timeout))
            collected.markTimedOut()
            Self.stop(pid)
        }
        let status: Int32 = await withTaskCancellationHandler {
            var status: Int32 = -1
            for await value in finished { status = value }
            return status
        } onCancel: {
            Self.stop(pid)
        }
        timer.cancel()
        stdout.fileHandleForReading.readabilityHandler = nil
        stderr.fileHandleForReading.readabilityHandler = nil
        collected.appendOut(stdout.fileHandleForReading.readDataToEndOfFile())
        collected.appendErr(stderr.fileHandleForReading.readDataToEndOfFile())
        try Task.checkCancellation()
        let (out, err, timedOut) = collected.snapshot()
        let tail = Self.lastLines(err, count: Self.keptStderrLines)
        if timedOut { throw MediaToolError.timedOut(tool: name, seconds: timeout, stderr: tail) }
        guard status == 0 else { throw MediaToolError.failed(tool: name, status: status, stderr: tail) }
        return out
    }

    /// Starts the tool with stderr gathered into `collected` (its tail is kept for errors); the
    /// stream yields the exit status. Shared by ``run(_:timeout:)`` and ``launch(_:)``.
    func start(
        _ arguments: [String], stdout: Any, stdin: Any, collected: OutputCollector, niceness: Int32 = 0
    ) throws -> (Process, Pipe, AsyncStream<Int32>) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stderr = try makePipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        // Cleared at end of file: Foundation would otherwise keep calling it with empty data.
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { collected.appendErr(data) }
        }
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            finished.continuation.yield(process.terminationStatus)
            finished.continuation.finish()
        }
        do {
            try process.run()
        } catch {
            throw MediaToolError.missing(name)
        }
        // Set from outside once it runs: Foundation's Process has no priority option.
        if niceness != 0 { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(process.processIdentifier), niceness) }
        return (process, stderr, finished.stream)
    }

    /// Descriptors starting a tool takes at most: three pipes' ends, /dev/null, a socket pair,
    /// a new thread's run loop, a Dispatch source; with some to spare.
    static let descriptorsToStart = 16

    /// A pipe, or an error when the process is out of file descriptors: Foundation's `Pipe()`
    /// then hands out handles on descriptor -1, and setting a readability handler on one traps.
    func makePipe() throws -> Pipe {
        let pipe = Pipe()
        guard pipe.fileHandleForReading.fileDescriptor >= 0, pipe.fileHandleForWriting.fileDescriptor >= 0 else {
            throw MediaToolError.outOfDescriptors(tool: name)
        }
        return pipe
    }

    /// Throws unless `count` more descriptors can be opened right now.
    func ensureDescriptors(_ count: Int) throws {
        var opened: [Int32] = []
        defer { for descriptor in opened { close(descriptor) } }
        for _ in 0..<count {
            let descriptor = open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw MediaToolError.outOfDescriptors(tool: name) }
            opened.append(descriptor)
        }
    }

    /// SIGTERM, then SIGKILL if the tool is still there after a grace period.
    static func stop(_ pid: Int32) {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        Task.detached {
            try? await Task.sleep(for: .seconds(3))
            // Only if it has not been reaped yet: kill(pid, 0) fails once it is gone.
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
    }

    static func lastLines(_ data: Data, count: Int) -> String {
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).suffix(count)
        return lines.joined(separator: "\n")
    }
}

/// Output gathered from the pipe handlers (which run on other threads).
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private var timedOut = false
    /// stderr is only needed for its last lines; keep a bounded tail.
    private let errLimit = 64 << 10

    func appendOut(_ data: Data) {
        lock.withLock { out.append(data) }
    }

    func appendErr(_ data: Data) {
        lock.withLock {
            err.append(data)
            if err.count > errLimit { err = err.suffix(errLimit) }
        }
    }

    func markTimedOut() { lock.withLock { timedOut = true } }

    func snapshot() -> (Data, Data, Bool) { lock.withLock { (out, err, timedOut) } }
}
