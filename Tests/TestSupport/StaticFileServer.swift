import Foundation

/// A folder served over HTTP on 127.0.0.1 by Python's standard-library server, for tests that
/// download what a provider's presigned URL names. Stopped with ``stop()``.
public final class StaticFileServer: @unchecked Sendable {
    public let directory: String
    public let baseURL: String
    private let process: Process

    public static func start(directory: String) async throws -> StaticFileServer {
        let port = try FreePort.find()
        let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? "/usr/bin/env"
        let arguments = (python == "/usr/bin/env" ? ["python3"] : [])
            + ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory]
        let process = try ProcessRunner.start(python, arguments, logPrefix: directory + "/.http-server")
        let server = StaticFileServer(directory: directory, baseURL: "http://127.0.0.1:\(port)", process: process)
        guard try await HTTPProbe.waitForStatus(404, url: server.baseURL + "/.absent", timeout: .seconds(10)) else {
            server.stop()
            throw ServerDidNotStart(url: server.baseURL)
        }
        return server
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
        var url: String
        var description: String { "the file server at \(url) did not start" }
    }
}
