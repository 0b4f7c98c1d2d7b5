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
