import Foundation

/// A folder served over HTTP on 127.0.0.1 by Python's standard-library server, for tests that
/// download what a provider's presigned URL names. Stopped with ``stop()``.
public final class StaticFileServer: @unchecked Sendable {
    public let directory: String
    public let baseURL: String
    private let process: Process

    /// Started on a free port. Up when it serves a file of its own folder: a server another test
    /// started on the same port meanwhile (the port was free when picked) answers 404 for it, and
    /// this one, unable to bind, has exited; then another port is tried.
    public static func start(directory: String) async throws -> StaticFileServer {
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "/usr/bin/env"
        let marker = ".served-\(UUID().uuidString)"
        try Data().write(to: URL(fileURLWithPath: directory + "/" + marker))
        defer { try? FileManager.default.removeItem(atPath: directory + "/" + marker) }
        for _ in 0..<5 {
            let port = try FreePort.find()
            let arguments = (python == "/usr/bin/env" ? ["python3"] : [])
                + ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory]
            let process = try ProcessRunner.start(python, arguments, logPrefix: directory + "/.http-server")
            let server = StaticFileServer(directory: directory, baseURL: "http://127.0.0.1:\(port)", process: process)
            let deadline = ContinuousClock.now + .seconds(10)
            while process.isRunning, ContinuousClock.now < deadline {
                if await HTTPProbe.status(url: server.baseURL + "/" + marker) == 200 { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            server.stop()
        }
        throw ServerDidNotStart(directory: directory)
    }

    private init(directory: String, baseURL: String, process: Process) {
        self.directory = directory
        self.baseURL = baseURL
        self.process = process
    }

    /// Ends the server. Not `waitUntilExit()`: on Linux it waits on a run loop that a test's
    /// thread does not run, and never returns; the child is killed and polled instead.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        var directory: String
        var description: String { "no file server for \(directory) started on any of five ports" }
    }
}
