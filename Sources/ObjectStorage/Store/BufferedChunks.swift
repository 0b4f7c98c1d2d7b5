import Crypto
import NIOCore

/// Bytes read from a stream, held as the chunks they arrived in rather than copied into one
/// buffer. An upload's parts are built of these: chunks of some KiB that the allocator hands out
/// again part after part, where a fresh 8 MiB buffer per part was freed into glibc's arenas (its
/// mmap threshold rises to the size of the first large block freed) and resident memory grew with
/// the length of the stream.
struct BufferedChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    private(set) var chunks: [ByteBuffer] = []
    private(set) var size = 0

    mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        chunks.append(chunk)
        size += chunk.readableBytes
    }

    /// The bytes in one buffer, for a body small enough to be sent in a single request.
    func joined() -> ByteBuffer {
        var whole = ByteBuffer()
        whole.reserveCapacity(size)
        for var chunk in chunks { whole.writeBuffer(&chunk) }
        return whole
    }

    func md5() -> [UInt8] {
        var hasher = Insecure.MD5()
        for chunk in chunks { chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
        return Array(hasher.finalize())
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>

        mutating func next() async -> ByteBuffer? { remaining.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks[...]) }
}
