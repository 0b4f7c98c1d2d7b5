import Crypto
import NIOCore
import Synchronization

/// Reports bytes as they pass, for progress bars and metrics.
public typealias ProgressHandler = @Sendable (_ bytesSoFar: Int64) -> Void

/// An MD5 being computed by whoever consumes a body (the HTTP client, on its own task).
final class RunningMD5: Sendable {
    private let state = Mutex((Insecure.MD5(), Int64(0)))

    func update(_ buffer: ByteBuffer) {
        state.withLock { state in
            buffer.withUnsafeReadableBytes { state.0.update(bufferPointer: $0) }
            state.1 += Int64(buffer.readableBytes)
        }
    }

    /// The digest and the number of bytes hashed.
    func finish() -> ([UInt8], Int64) {
        state.withLock { (Array($0.0.finalize()), $0.1) }
    }
}

/// Passes buffers through, hashing them and reporting progress on the way.
struct ObservedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let md5: RunningMD5?
    let progress: (@Sendable (Int) -> Void)?

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let md5: RunningMD5?
        let progress: (@Sendable (Int) -> Void)?

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            md5?.update(buffer)
            progress?(buffer.readableBytes)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), md5: md5, progress: progress)
    }
}

/// A running total shared by concurrent part uploads.
final class ByteCounter: Sendable {
    private let total = Atomic<Int64>(0)
    let report: ProgressHandler?

    init(report: ProgressHandler?) {
        self.report = report
    }

    func add(_ count: Int) {
        let now = total.add(Int64(count), ordering: .relaxed).newValue
        report?(now)
    }
}
