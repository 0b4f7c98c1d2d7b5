import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOFileSystem
import SystemPackage

extension S3Store {
    /// One uploaded part: its number, the ETag S3 returned, its size, and the MD5 of what was
    /// sent (when checksums are verified).
    struct UploadedPart: Sendable {
        var number: Int
        var etag: String
        var size: Int64
        var md5: [UInt8]?
    }

    /// Part size for part `number`: the configured size, doubled every 2,000 parts (up to 64 MiB)
    /// so a stream of unknown length still fits in S3's 10,000 parts.
    func partSize(_ number: Int) -> Int {
        min(S3Configuration.maximumPartSize, configuration.partSize << min(3, (number - 1) / 2000))
    }

    // MARK: From a stream of unknown length

    /// Reads the stream into parts (its chunks as they came, see ``BufferedChunks``); a stream that
    /// fits in one part is a single PUT. At most `concurrentParts` parts are in flight, and the next
    /// one is only read when a slot is free, so memory stays at about `(concurrentParts + 1) × partSize`
    /// whatever the length.
    func uploadStream<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer {
        var iterator = body.makeAsyncIterator()
        var pending: ByteBuffer?  // a chunk that did not fit in the previous part

        func nextPart(size: Int) async throws -> BufferedChunks {
            var part = BufferedChunks()
            if var carried = pending {
                pending = nil
                if carried.readableBytes > size, let head = carried.readSlice(length: size) {
                    pending = carried
                    part.append(head)
                    return part
                }
                part.append(carried)
            }
            while part.size < size, var chunk = try await iterator.next() {
                let room = size - part.size
                if chunk.readableBytes > room, let head = chunk.readSlice(length: room) {
                    part.append(head)
                    pending = chunk
                } else {
                    part.append(chunk)
                }
            }
            return part
        }

        let first = try await nextPart(size: partSize(1))
        if pending == nil, first.size < partSize(1) {
            return try await putSingle(key, bytes: first.joined(), contentType: contentType)
        }
        let uploadID = try await createMultipartUpload(key, contentType: contentType)
        do {
            let parts = try await withThrowingTaskGroup(of: UploadedPart.self) { group in
                var done: [UploadedPart] = []
                var inFlight = 0
                var number = 1
                var part = first
                while part.size > 0 {
                    if inFlight == configuration.concurrentParts, let finished = try await group.next() {
                        done.append(finished)
                        inFlight -= 1
                    }
                    let (current, chunks) = (number, part)
                    group.addTask { try await self.uploadPart(key, uploadID: uploadID, number: current, chunks: chunks) }
                    inFlight += 1
                    number += 1
                    guard number <= 10_000 else {
                        throw ObjectStoreError.backend(message: "object exceeds S3's 10,000 parts", setting: nil)
                    }
                    part = try await nextPart(size: partSize(number))
                }
                for try await finished in group { done.append(finished) }
                return done.sorted { $0.number < $1.number }
            }
            return try await completeMultipartUpload(key, uploadID: uploadID, parts: parts)
        } catch {
            await abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    // MARK: From a file

    /// Uploads a file as parallel byte ranges read straight from disk: nothing is buffered beyond
    /// the HTTP client's own chunks, and each part's MD5 is computed while it streams.
    func uploadFile(
        _ key: ObjectKey, path: String, contentType: String, progress: ProgressHandler?
    ) async throws -> ObjectInfo {
        let size = try await FileSystem.shared.info(forFileAt: FilePath(path))?.size ?? -1
        guard size >= 0 else { throw ObjectStoreError.notFound(path) }
        let counter = ByteCounter(report: progress)
        if size <= Int64(partSize(1)) {
            let bytes = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                try await handle.readToEnd(maximumSizeAllowed: .bytes(size))
            }
            let info = try await putSingle(key, bytes: bytes, contentType: contentType)
            counter.add(bytes.readableBytes)
            return info
        }
        // Fixed part size for a known length, grown only if the file needs more than 10,000 parts.
        let partLength = max(Int64(partSize(1)), (size + 9_999) / 10_000)
        let count = Int((size + partLength - 1) / partLength)
        let uploadID = try await createMultipartUpload(key, contentType: contentType)
        do {
            let parts = try await withThrowingTaskGroup(of: UploadedPart.self) { group in
                var done: [UploadedPart] = []
                for number in 1...count {
                    if number > configuration.concurrentParts, let finished = try await group.next() {
                        done.append(finished)
                    }
                    let start = Int64(number - 1) * partLength
                    let range = start..<min(size, start + partLength)
                    group.addTask {
                        try await self.uploadFilePart(
                            key, uploadID: uploadID, number: number, path: path, range: range, counter: counter)
                    }
                }
                for try await finished in group { done.append(finished) }
                return done.sorted { $0.number < $1.number }
            }
            return try await completeMultipartUpload(key, uploadID: uploadID, parts: parts)
        } catch {
            await abortMultipartUpload(key, uploadID: uploadID)
            throw error
        }
    }

    // MARK: Single PUT

    func putSingle(_ key: ObjectKey, bytes: ByteBuffer, contentType: String) async throws -> ObjectInfo {
        let md5 = configuration.verifyChecksums ? Self.md5(bytes) : nil
        var headers = [("content-type", contentType), ("content-length", String(bytes.readableBytes))]
        if let md5 { headers.append(("content-md5", Data(md5).base64EncodedString())) }
        let response = try await send(
            "PUT", key: key.rawValue, headers: headers, body: { .bytes(bytes) },
            payloadHash: SigV4Signer.unsignedPayload, timeout: Self.partTimeout)
        let etag = response.headers.first(name: "etag") ?? ""
        try verifyPartETag(etag, md5: md5, what: "object")
        guard let stored = try await head(key), stored.size == Int64(bytes.readableBytes) else {
            throw ObjectStoreError.verificationFailed("\(key): stored size differs from the \(bytes.readableBytes) bytes sent")
        }
        return stored
    }

    // MARK: Multipart

    func createMultipartUpload(_ key: ObjectKey, contentType: String) async throws -> String {
        let response = try await send(
            "POST", key: key.rawValue, query: [("uploads", "")], headers: [("content-type", contentType)])
        let body = try await response.body.collect(upTo: 1 << 20)
        guard let uploadID = XMLNode.parse(Data(buffer: body))?.value("UploadId"), !uploadID.isEmpty else {
            throw ObjectStoreError.backend(message: "CreateMultipartUpload returned no upload id", setting: nil)
        }
        return uploadID
    }

    func uploadPart(_ key: ObjectKey, uploadID: String, number: Int, chunks: BufferedChunks) async throws -> UploadedPart {
        let md5 = configuration.verifyChecksums ? chunks.md5() : nil
        var headers = [("content-length", String(chunks.size))]
        if let md5 { headers.append(("content-md5", Data(md5).base64EncodedString())) }
        let response = try await send(
            "PUT", key: key.rawValue, query: [("partNumber", String(number)), ("uploadId", uploadID)],
            headers: headers, body: { .stream(chunks, length: .known(Int64(chunks.size))) },
            payloadHash: SigV4Signer.unsignedPayload, timeout: Self.partTimeout)
        let etag = response.headers.first(name: "etag") ?? ""
        try verifyPartETag(etag, md5: md5, what: "part \(number)")
        return UploadedPart(number: number, etag: etag, size: Int64(chunks.size), md5: md5)
    }

    /// One part straight from the file; a part whose ETag does not match what was read is sent again.
    func uploadFilePart(
        _ key: ObjectKey, uploadID: String, number: Int, path: String, range: Range<Int64>, counter: ByteCounter
    ) async throws -> UploadedPart {
        var attempt = 0
        while true {
            attempt += 1
            let md5 = configuration.verifyChecksums ? RunningMD5() : nil
            let sent = ByteCounter(report: nil)
            let etag = try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
                let chunks = ObservedSequence(
                    base: handle.readChunks(in: range, chunkLength: .kibibytes(512)), md5: md5,
                    progress: { counter.add($0); sent.add($0) })
                let response = try await send(
                    "PUT", key: key.rawValue, query: [("partNumber", String(number)), ("uploadId", uploadID)],
                    headers: [("content-length", String(range.count))],
                    body: { .stream(chunks, length: .known(Int64(range.count))) },
                    payloadHash: SigV4Signer.unsignedPayload, timeout: Self.partTimeout)
                return response.headers.first(name: "etag") ?? ""
            }
            let digest = md5?.finish().0
            do {
                guard sent.total == Int64(range.count) else {
                    throw ObjectStoreError.verificationFailed("part \(number): read \(sent.total) of \(range.count) bytes")
                }
                try verifyPartETag(etag, md5: digest, what: "part \(number)")
                return UploadedPart(number: number, etag: etag, size: Int64(range.count), md5: digest)
            } catch let error as ObjectStoreError where attempt < Self.attempts {
                _ = error
                continue
            }
        }
    }

    func completeMultipartUpload(_ key: ObjectKey, uploadID: String, parts: [UploadedPart]) async throws -> ObjectInfo {
        var xml = "<CompleteMultipartUpload>"
        for part in parts {
            xml += "<Part><PartNumber>\(part.number)</PartNumber><ETag>\(part.etag.xmlEscaped)</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let body = ByteBuffer(string: xml)
        let response = try await send(
            "POST", key: key.rawValue, query: [("uploadId", uploadID)],
            headers: [("content-type", "application/xml"), ("content-length", String(body.readableBytes))],
            body: { .bytes(body) }, payloadHash: SHA256.hash(data: Array(xml.utf8)).hexString,
            timeout: Self.partTimeout)
        // S3 can answer 200 and still report an error in the body.
        let answer = try await response.body.collect(upTo: 1 << 20)
        // Only an `<Error>` document is a failure: some S3-compatible servers name the root
        // `CompleteMultipartUploadResponse`, and what matters is the ETag they return.
        guard let document = XMLNode.parse(Data(buffer: answer)), document.name != "Error",
            let reportedETag = document.value("ETag"), !reportedETag.isEmpty
        else {
            let error = S3ErrorMapping.error(
                status: 500, body: Data(buffer: answer), key: key.rawValue, settings: configuration.settingPrefix)
            throw error
        }
        let etag = Self.unquote(reportedETag)
        if configuration.multipartETagIsMD5OfParts {
            // The ETag of a multipart object names its part count; with checksums on, it is also the
            // MD5 of the parts' MD5s.
            guard etag.hasSuffix("-\(parts.count)") else {
                throw ObjectStoreError.verificationFailed("object ETag \(etag) does not name \(parts.count) parts")
            }
            let digests = parts.compactMap(\.md5)
            if digests.count == parts.count {
                var combined = Insecure.MD5()
                for digest in digests { combined.update(data: digest) }
                let expected = "\(combined.finalize().hexString)-\(parts.count)"
                guard etag == expected else {
                    throw ObjectStoreError.verificationFailed("object ETag \(etag) is not the expected \(expected)")
                }
            }
        }
        // The size the service reports must be the sum of what was sent.
        let total = parts.reduce(Int64(0)) { $0 + $1.size }
        guard let stored = try await head(key), stored.size == total else {
            throw ObjectStoreError.verificationFailed("\(key): stored size differs from the \(total) bytes sent")
        }
        return stored
    }

    func abortMultipartUpload(_ key: ObjectKey, uploadID: String) async {
        // Best effort, shielded from the cancellation that may have caused it: a lingering upload costs storage.
        await Task {
            _ = try? await send("DELETE", key: key.rawValue, query: [("uploadId", uploadID)])
        }.value
    }

    func verifyPartETag(_ etag: String, md5: [UInt8]?, what: String) throws {
        let value = Self.unquote(etag)
        guard !value.isEmpty else {
            throw ObjectStoreError.verificationFailed("\(what): the service returned no ETag")
        }
        guard let md5 else { return }
        // Only plain MD5 ETags can be checked (KMS-encrypted objects have others).
        guard value.count == 32, value.allSatisfy(\.isHexDigit) else { return }
        guard value.lowercased() == Hex.string(md5) else {
            throw ObjectStoreError.verificationFailed("\(what): ETag \(etag) does not match the MD5 of the bytes sent")
        }
    }

    static func md5(_ bytes: ByteBuffer) -> [UInt8] {
        var hasher = Insecure.MD5()
        bytes.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        return Array(hasher.finalize())
    }

    static func unquote(_ etag: String) -> String {
        var value = etag
        if value.hasPrefix("W/") { value.removeFirst(2) }
        return value.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    // MARK: Batch delete

    func deleteBatch(_ keys: [String]) async throws {
        var xml = "<Delete><Quiet>true</Quiet>"
        for key in keys { xml += "<Object><Key>\(fullKey(key).xmlEscaped)</Key></Object>" }
        xml += "</Delete>"
        let bytes = Array(xml.utf8)
        let body = ByteBuffer(bytes: bytes)
        let response = try await send(
            "POST", key: "", query: [("delete", "")],
            headers: [
                ("content-type", "application/xml"), ("content-length", String(bytes.count)),
                ("content-md5", Data(Insecure.MD5.hash(data: bytes)).base64EncodedString()),
            ],
            body: { .bytes(body) }, payloadHash: SHA256.hash(data: bytes).hexString)
        let answer = try await response.body.collect(upTo: 4 << 20)
        if let document = XMLNode.parse(Data(buffer: answer)), let failure = document.all("Error").first {
            throw ObjectStoreError.backend(
                message: "could not delete \(failure.value("Key") ?? "an object"): \(failure.value("Code") ?? "") \(failure.value("Message") ?? "")",
                setting: nil)
        }
    }
}
