import Foundation
import Testing
import TestSupport
import TapedeckRecording

#if canImport(Glibc)
    import Glibc
#endif

@Suite("tapedeck command line", .serialized)
struct CLITests {
    static let binary = BuildProducts.path("tapedeck")

    func run(_ arguments: [String], in directory: TemporaryDirectory, environment: [String: String] = [:]) async throws
        -> ProcessResult
    {
        try await ProcessRunner.run(Self.binary, arguments, environment: environment, directory: directory.path)
    }

    @Test("a bad setting stops start-up with one line naming it", arguments: [
        (["TAPEDECK_PORT": "eighty"], "TAPEDECK_PORT"),
        (["TAPEDECK_PORT": "70000"], "TAPEDECK_PORT"),
        (["DATABASE_URL": "mysql://db/x"], "DATABASE_URL"),
        (["DATABASE_URL": "postgres://host-without-user/db"], "DATABASE_URL"),
        (["TAPEDECK_PUBLIC_URL": "ftp://example.com"], "TAPEDECK_PUBLIC_URL"),
        (["TAPEDECK_LOG_LEVEL": "loud"], "TAPEDECK_LOG_LEVEL"),
        (["TAPEDECK_WORKER_CONCURRENCY": "0"], "TAPEDECK_WORKER_CONCURRENCY"),
        (["TAPEDECK_WORKER_POLL_MS": "5"], "TAPEDECK_WORKER_POLL_MS"),
        (["TAPEDECK_WORKER_POLL_MS": "soon"], "TAPEDECK_WORKER_POLL_MS"),
        (["TAPEDECK_JOB_NOTIFY": "perhaps"], "TAPEDECK_JOB_NOTIFY"),
        (["TAPEDECK_PREPARED_STATEMENTS": "sometimes"], "TAPEDECK_PREPARED_STATEMENTS"),
    ])
    func badSettings(environment: [String: String], setting: String) async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let result = try await run(["serve"], in: directory, environment: environment)
        #expect(result.status == 78)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("tapedeck: configuration error: \(setting): ") == true, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/tapedeck-data"), "nothing was created")
    }

    @Test("flags beat environment variables, which beat the config file")
    func precedence() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let file = directory.path + "/tapedeck.env"
        try "TAPEDECK_PORT=notaport\nTAPEDECK_LOG_LEVEL=loud\n".write(toFile: file, atomically: true, encoding: .utf8)
        // The file's bad port is overridden by the environment; its bad log level is not.
        let fromFile = try await run(["serve", "--config", file], in: directory, environment: ["TAPEDECK_PORT": "1234"])
        #expect(fromFile.stderr.contains("TAPEDECK_LOG_LEVEL"), "\(fromFile.stderr)")
        let fromFlag = try await run(["serve", "--config", file, "--port", "nope"], in: directory, environment: ["TAPEDECK_LOG_LEVEL": "info"])
        #expect(fromFlag.stderr.contains("TAPEDECK_PORT: must be a whole number from 0 to 65535, got \"nope\""), "\(fromFlag.stderr)")
        let missing = try await run(["serve", "--config", directory.path + "/absent.env"], in: directory)
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("--config"))
    }

    @Test("keys create, list, revoke; migrate --status")
    func keysAndMigrations() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let created = try await run(["keys", "create", "--name", "backend"], in: directory)
        #expect(created.status == 0, "\(created.stderr)")
        let key = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("tdk_") && key.count == 4 + 12 + 1 + 40)
        #expect(created.stderr.contains("not shown again"))

        let listed = try await run(["keys", "list"], in: directory)
        #expect(listed.stdout.contains("backend") && listed.stdout.contains("active"))
        #expect(!listed.stdout.contains(key.suffix(40)), "the secret is never printed again")
        let database = try String(contentsOfFile: directory.path + "/tapedeck-data/tapedeck.sqlite", encoding: .isoLatin1)
        #expect(!database.contains(String(key.suffix(40))), "the secret is not stored")

        let id = try #require(listed.stdout.split(separator: "\n").dropFirst().first?.split(separator: " ").first)
        let revoked = try await run(["keys", "revoke", String(id)], in: directory)
        #expect(revoked.status == 0)
        #expect(try await run(["keys", "list"], in: directory).stdout.contains("revoked"))
        let unknown = try await run(["keys", "revoke", UUID().uuidString], in: directory)
        #expect(unknown.status == 1 && unknown.stderr.contains("no API key"))

        let status = try await run(["migrate", "--status"], in: directory)
        #expect(status.stdout.contains("0001_create_rooms") && status.stdout.contains("applied (batch 1)"))
        #expect(!status.stdout.contains("pending"))
        #expect(try await run(["version"], in: directory).stdout == "tapedeck 0.1.0\n")
    }

    @Test("serve answers /readyz, then shuts down cleanly on SIGTERM")
    func serveLifecycle() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let port = try FreePort.find()
        let process = try ProcessRunner.start(
            Self.binary, ["serve", "--port", String(port), "--data-dir", directory.path + "/data"],
            logPrefix: directory.path + "/serve")
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let ready = try await HTTPProbe.waitForStatus(200, url: "http://127.0.0.1:\(port)/readyz", timeout: .seconds(20))
        #expect(ready)
        let output = try String(contentsOfFile: directory.path + "/serve.out", encoding: .utf8)
        #expect(output.contains("Listening on http://127.0.0.1:\(port)"))
        #expect(output.contains("LiveKit webhook URL  http://127.0.0.1:\(port)/webhooks/livekit"))
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }
}
