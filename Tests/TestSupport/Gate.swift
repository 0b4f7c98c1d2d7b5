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
