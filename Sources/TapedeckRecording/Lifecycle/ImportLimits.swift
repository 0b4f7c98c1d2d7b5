import Foundation
import NIOCore

/// What a remote import may fetch: only `http` and `https` URLs (never `file:`, `http+unix:` or
/// another scheme a playlist could name), and at most a total number of bytes, so a hostile or
/// endless source cannot fill the store.
final package class ImportBudget: Sendable {
    package let maxBytes: Int64
    private let used = ByteTotal()

    package init(maxBytes: Int64) { self.maxBytes = maxBytes }

    /// The URL, if an import may fetch it.
    static package func checked(_ url: URL) throws -> URL {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw RecordingImporter.Failure(description: "\(url.absoluteString): only http and https URLs can be imported")
        }
        return url
    }

    /// Counts `count` more bytes; throws once the total is past the limit.
    package func spend(_ count: Int) throws {
        used.add(Int64(count))
        if used.value > maxBytes {
            throw RecordingImporter.Failure(description: "the import is larger than --max-bytes (\(maxBytes) bytes)")
        }
    }
}

/// A download body that stops with an error once the import's budget is spent.
package struct BudgetedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    package typealias Element = ByteBuffer
    package let base: Base
    package let budget: ImportBudget

    package struct AsyncIterator: AsyncIteratorProtocol {
        package var inner: Base.AsyncIterator
        package let budget: ImportBudget
        mutating package func next() async throws -> ByteBuffer? {
            guard let chunk = try await inner.next() else { return nil }
            try budget.spend(chunk.readableBytes)
            return chunk
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inner: base.makeAsyncIterator(), budget: budget) }
}
