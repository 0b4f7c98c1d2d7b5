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
    private let count = Atomic<Int64>(0)
    let report: ProgressHandler?

    init(report: ProgressHandler?) {
        self.report = report
    }

    func add(_ bytes: Int) {
        let now = count.add(Int64(bytes), ordering: .relaxed).newValue
        report?(now)
    }

    var total: Int64 { count.load(ordering: .relaxed) }
}

/// Reports the running byte count of a stream as it is consumed (uploads from downloads).
public struct CountingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let inner: ObservedSequence<Base>

    public init(_ base: Base, progress: @escaping @Sendable (Int) -> Void) {
        self.inner = ObservedSequence(base: base, md5: nil, progress: progress)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: ObservedSequence<Base>.AsyncIterator
        public mutating func next() async throws -> ByteBuffer? { try await inner.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: inner.makeAsyncIterator()) }
}
