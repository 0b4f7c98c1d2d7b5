/// A point a test holds a concurrent task at: `wait()` suspends until `open()` (each `open` lets
/// one waiter through, earlier or later; one waiter at a time), so an interleaving can be forced
/// rather than hoped for.
package final class Gate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    package init() { (stream, continuation) = AsyncStream.makeStream() }

    package func open() { continuation.yield() }

    package func wait() async {
        for await _ in stream { return }
    }
}

extension Gate {
    /// Waits until one of `gates` opens; returns its index. The others' waits are cancelled, which
    /// ends their streams: a gate that lost here is not waited on again.
    package static func first(_ gates: Gate...) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for (index, gate) in gates.enumerated() {
                group.addTask {
                    await gate.wait()
                    return index
                }
            }
            let first = await group.next()!
            group.cancelAll()
            return first
        }
    }
}

extension Gate {
    struct NeverReached: Error {}

    /// Waits until this gate opens or `task` ends: a task that ends first (it threw before
    /// reaching the gate, or never reaches it) fails the wait, with its error, instead of hanging
    /// the test.
    package func wait(orEndOf task: Task<Void, any Error>) async throws {
        let ended = Gate()
        let watcher = Task {
            _ = await task.result
            ended.open()
        }
        defer { watcher.cancel() }
        if await Gate.first(self, ended) == 0 { return }
        try await task.value
        throw NeverReached()
    }
}
