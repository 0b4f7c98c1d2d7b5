import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running tool (a recording ffmpeg) that is stopped by asking, not by a timeout.
public final class RunningTool: Sendable {
    public let pid: Int32
    public let name: String
    private let finished: AsyncStream<Int32>
    private let collected: OutputCollector
    private let process: Process
    private let input: Pipe

    init(process: Process, input: Pipe, name: String, finished: AsyncStream<Int32>, collected: OutputCollector) {
        self.process = process
        self.input = input
        self.pid = process.processIdentifier
        self.name = name
        self.finished = finished
        self.collected = collected
    }

    public var isRunning: Bool { process.isRunning }

    /// Asks ffmpeg to finish: it closes the segment and playlist it is writing and exits. This is
    /// its `q` key on stdin rather than a signal: processes started from a server's threads
    /// inherit their blocked signal mask, so SIGINT and SIGTERM would never reach it.
    public func interrupt() {
        try? input.fileHandleForWriting.write(contentsOf: Data("q".utf8))
    }

    /// Waits for the exit: its status and the last lines of stderr.
    public func wait() async -> (status: Int32, stderr: String) {
        var status: Int32 = -1
        for await value in finished { status = value }
        let (_, err, _) = collected.snapshot()
        return (status, ToolRunner.lastLines(err, count: ToolRunner.keptStderrLines))
    }
}

extension ToolRunner {
    /// Starts the tool and returns at once; stdout is discarded, the tail of stderr kept.
    public func launch(_ arguments: [String]) throws -> RunningTool {
        try ensureDescriptors(Self.descriptorsToStart)
        let input = try makePipe()
        let collected = OutputCollector()
        let (process, _, finished) = try start(arguments, stdout: FileHandle.nullDevice, stdin: input, collected: collected)
        return RunningTool(process: process, input: input, name: name, finished: finished, collected: collected)
    }
}
