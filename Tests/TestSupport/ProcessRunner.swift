import Foundation

/// Runs the project's own executables (built beside the test bundle) as child processes.
public enum BuildProducts {
    /// The build folder holding the test bundle and the executables.
    public static var directory: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // The test binary lives inside `<name>.xctest/` on some platforms.
        while url.path.contains(".xctest") { url.deleteLastPathComponent() }
        return url.path
    }

    public static func path(_ name: String) -> String {
        directory + "/" + name
    }
}

/// The outcome of a finished child process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum ProcessRunner {
    /// Runs to completion and captures output.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil
    ) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a full pipe cannot block the child.
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs to completion, like ``run(_:_:environment:directory:)``, but waits by polling
    /// `isRunning`: on Linux `waitUntilExit()` waits on a run loop that a test's thread does not
    /// run, and can hang for good. Output goes through files, so neither stream's pipe can fill
    /// and stall the child. A child still running after `timeout` is killed and reported.
    public static func runPolling(_ path: String, _ arguments: [String], timeout: Duration = .seconds(60)) throws -> ProcessResult {
        let directory = try TemporaryDirectory.create("process")
        defer { directory.remove() }
        let outPath = directory.path + "/stdout", errPath = directory.path + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(process.processIdentifier, SIGKILL)
                for _ in 0..<200 where process.isRunning { usleep(10_000) }
                throw TimedOut(command: ([path] + arguments).joined(separator: " "), timeout: timeout)
            }
            usleep(10_000)
        }
        func read(_ file: String) -> String {
            String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)
        }
        return ProcessResult(status: process.terminationStatus, stdout: read(outPath), stderr: read(errPath))
    }

    public struct TimedOut: Error, CustomStringConvertible {
        public var command: String
        public var timeout: Duration
        public var description: String { "\(command) was still running after \(timeout)" }
    }

    /// Starts a child that keeps running; output goes to files in `logDirectory`.
    public static func start(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], logPrefix: String
    ) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: logPrefix + ".out", contents: nil)
        _ = FileManager.default.createFile(atPath: logPrefix + ".err", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: logPrefix + ".out")
        process.standardError = FileHandle(forWritingAtPath: logPrefix + ".err")
        try process.run()
        return process
    }
}
