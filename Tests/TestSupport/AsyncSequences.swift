import NIOCore

/// An array as an async sequence of buffers, to feed `ObjectStore.put`.
public struct BufferSequence: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let buffers: [ByteBuffer]

    public struct AsyncIterator: AsyncIteratorProtocol {
        var index = 0
        let buffers: [ByteBuffer]
        public mutating func next() async throws -> ByteBuffer? {
            guard index < buffers.count else { return nil }
            defer { index += 1 }
            return buffers[index]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffers: buffers) }
}

extension Array where Element == ByteBuffer {
    public var async: BufferSequence { BufferSequence(buffers: self) }
}
