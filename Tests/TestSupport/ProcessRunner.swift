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

/// Children are waited for by polling with `Task.sleep`, never by blocking: a test that blocked
/// a thread of the cooperative pool (there are as many as cores) while a child ran would stall
/// every other test of the parallel run, until unrelated timeouts fire. Nor `waitUntilExit()`:
/// on Linux it waits on a run loop that a test's thread does not run, and can hang for good.
public enum ProcessRunner {
    /// Runs to completion and captures output. Output goes through files, so neither stream's
    /// pipe can fill and stall the child. A child still running after `timeout` is killed and
    /// reported.
    public static func run(
        _ path: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        timeout: Duration = .seconds(120)
    ) async throws -> ProcessResult {
        let output = try CapturedOutput()
        defer { output.remove() }
        let process = try output.launch(path, arguments, environment: environment, directory: directory)
        do {
            try await waitForExit(process, timeout: timeout, command: ([path] + arguments).joined(separator: " "))
        } catch var timedOut as TimedOut {
            // The output goes with the directory: what the stuck child printed is kept here.
            let (stdout, stderr) = output.printed()
            timedOut.output = "stdout: \(stdout.suffix(2000))\nstderr: \(stderr.suffix(2000))"
            throw timedOut
        }
        return output.result(process)
    }

    /// Waits for `process` to end, polling; kills it and throws ``TimedOut`` after `timeout`, or
    /// kills it and rethrows when the waiting task is cancelled.
    public static func waitForExit(_ process: Process, timeout: Duration = .seconds(300), command: String? = nil) async throws {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now <= deadline else {
                killAndReap(process)
                throw TimedOut(command: command ?? process.executableURL?.path ?? "child", timeout: timeout)
            }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                killAndReap(process)
                throw error
            }
        }
    }

    /// SIGKILL, then a short wait for the exit to be seen (it is at once, bar a loaded host): a
    /// blocking wait, so that a cancelled task still waits.
    private static func killAndReap(_ process: Process) {
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
    }

    /// ``run(_:_:environment:directory:timeout:)`` for the one place that cannot wait
    /// asynchronously: a static check, once per test run, whether a tool is installed. It holds
    /// its thread while the child runs, so it is only for children that answer at once.
    public static func runBlocking(_ path: String, _ arguments: [String], timeout: Duration = .seconds(30)) throws -> ProcessResult {
        let output = try CapturedOutput()
        defer { output.remove() }
        let process = try output.launch(path, arguments, environment: [:], directory: nil)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                killAndReap(process)
                throw TimedOut(command: ([path] + arguments).joined(separator: " "), timeout: timeout)
            }
            usleep(10_000)
        }
        return output.result(process)
    }

    public struct TimedOut: Error, CustomStringConvertible {
        public var command: String
        public var timeout: Duration
        /// The tail of what the child printed, when it was captured.
        public var output = ""
        public var description: String {
            "\(command) was still running after \(timeout)" + (output.isEmpty ? "" : "\n\(output)")
        }
    }

    /// Two files in a directory of their own, taking a child's standard output and error.
    private struct CapturedOutput {
        let directory: TemporaryDirectory
        var outPath: String { directory.path + "/stdout" }
        var errPath: String { directory.path + "/stderr" }

        init() throws {
            directory = try TemporaryDirectory.create("process")
        }

        func launch(_ path: String, _ arguments: [String], environment: [String: String], directory workingDirectory: String?) throws
            -> Process
        {
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
            let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            // The child has its own copies once started.
            defer {
                try? out.close()
                try? err.close()
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
            process.standardOutput = out
            process.standardError = err
            process.standardInput = FileHandle.nullDevice
            try process.run()
            return process
        }

        /// What the child wrote so far (it may still run: no exit status is read).
        func printed() -> (stdout: String, stderr: String) {
            func read(_ file: String) -> String {
                String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)
            }
            return (read(outPath), read(errPath))
        }

        /// The outcome of a child that has ended.
        func result(_ process: Process) -> ProcessResult {
            let (stdout, stderr) = printed()
            return ProcessResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }

        func remove() { directory.remove() }
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
