import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Objects as files under a directory; served by Tapedeck itself through signed `/media` URLs.
///
/// Writes are atomic: bytes go to a temporary file on the same file system, which is fsynced and
/// then renamed over the destination (and the directory fsynced), so a crash leaves either the
/// old object, the new one, or none, never a partial file under the object's key.
public struct LocalDiskStore: ObjectStore {
    public var backend: String { "local" }
    /// Objects live here, one file per key.
    public let root: String
    /// Temporary files, on the same file system as `root` so rename is atomic.
    let scratch: String
    let signer: MediaURLSigner
    let clock: @Sendable () -> Date

    static let chunkLength: ByteCount = .kibibytes(256)

    public init(root: String, scratch: String, signer: MediaURLSigner, clock: @escaping @Sendable () -> Date = Date.init) {
        self.root = root
        self.scratch = scratch
        self.signer = signer
        self.clock = clock
    }

    func path(_ key: ObjectKey) -> String {
        root + "/" + key.rawValue
    }

    public func put<Body: AsyncSequence & Sendable>(
        _ key: ObjectKey, body: Body, contentType: String?
    ) async throws -> ObjectInfo where Body.Element == ByteBuffer {
        let destination = path(key)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let temporary = scratch + "/" + UUID().uuidString + ".part"
        var hasher = SHA256()
        var size: Int64 = 0
        do {
            let handle = try await FileSystem.shared.openFile(
                forWritingAt: FilePath(temporary), options: .newFile(replaceExisting: true))
            do {
                var writer = handle.bufferedWriter(capacity: .kibibytes(512))
                for try await chunk in body {
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                    size += Int64(chunk.readableBytes)
                    try await writer.write(contentsOf: chunk)
                }
                try await writer.flush()
                try await handle.synchronize()
                try await handle.close()
            } catch {
                try? await handle.close()
                throw error
            }
            try FileManager.default.createDirectory(
                atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard rename(temporary, destination) == 0 else {
                throw ObjectStoreError.backend(
                    message: "cannot move a stored file into place: \(String(cString: strerror(errno)))",
                    setting: "TAPEDECK_DATA_DIR")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        Self.syncDirectory((destination as NSString).deletingLastPathComponent)
        var info = try await head(key) ?? ObjectInfo(key: key.rawValue, size: size)
        info.sha256 = hasher.finalize().hexString
        info.contentType = contentType ?? info.contentType
        return info
    }

    public func putFile(
        _ key: ObjectKey, path source: String, contentType: String?, progress: ProgressHandler?
    ) async throws -> ObjectInfo {
        let counter = ByteCounter(report: progress)
        return try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(source)) { handle in
            let chunks = ObservedSequence(
                base: handle.readChunks(chunkLength: Self.chunkLength), md5: nil, progress: { counter.add($0) })
            return try await put(key, body: chunks, contentType: contentType)
        }
    }

    public func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload {
        guard let info = try await head(key) else { throw ObjectStoreError.notFound(key.rawValue) }
        var resolved: ClosedRange<Int64>?
        if let range {
            guard let r = range.resolve(size: info.size) else {
                throw ObjectStoreError.rangeNotSatisfiable(size: info.size)
            }
            resolved = r
        }
        let filePath = FilePath(path(key))
        let span = resolved.map { $0.lowerBound..<($0.upperBound + 1) } ?? 0..<info.size
        return ObjectDownload(info: info, range: resolved, body: ObjectBody { sink in
            try await FileSystem.shared.withFileHandle(forReadingAt: filePath) { handle in
                for try await chunk in handle.readChunks(in: span, chunkLength: Self.chunkLength) {
                    try await sink(chunk)
                }
            }
        })
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo? {
        var status = stat()
        guard stat(path(key), &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ObjectStoreError.backend(
                message: "cannot read \(key.rawValue): \(String(cString: strerror(errno)))", setting: "TAPEDECK_DATA_DIR")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        let modifiedNs = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        return ObjectInfo(
            key: key.rawValue, size: Int64(status.st_size), contentType: ContentTypes.forKey(key.rawValue),
            etag: "\"\(String(modifiedNs, radix: 16))-\(String(status.st_size, radix: 16))-\(String(status.st_ino, radix: 16))\"",
            lastModified: Date(timeIntervalSince1970: Double(modifiedNs) / 1e9))
    }

    public func delete(_ key: ObjectKey) async throws {
        if unlink(path(key)) != 0, errno != ENOENT {
            throw ObjectStoreError.backend(
                message: "cannot delete \(key.rawValue): \(String(cString: strerror(errno)))", setting: "TAPEDECK_DATA_DIR")
        }
        removeEmptyDirectories(from: (key.rawValue as NSString).deletingLastPathComponent)
    }

    public func deletePrefix(_ prefix: String) async throws -> Int {
        try ObjectKey.validatePrefix(prefix)
        var deleted = 0
        var startAfter: String?
        repeat {
            let page = try await list(prefix: prefix, startAfter: startAfter, limit: 1000)
            for object in page.objects {
                try await delete(try ObjectKey(object.key))
                deleted += 1
            }
            startAfter = page.nextStartAfter
        } while startAfter != nil
        return deleted
    }

    public func list(prefix: String, startAfter: String?, limit: Int) async throws -> ObjectListing {
        try ObjectKey.validatePrefix(prefix)
        // Walk only the deepest directory the prefix names completely.
        let directoryPart = prefix.contains("/") ? String(prefix[..<prefix.lastIndex(of: "/")!]) : ""
        let base = directoryPart.isEmpty ? root : root + "/" + directoryPart
        var keys: [String] = []
        if let enumerator = FileManager.default.enumerator(atPath: base) {
            while let relative = enumerator.nextObject() as? String {
                let key = directoryPart.isEmpty ? relative : directoryPart + "/" + relative
                guard key.hasPrefix(prefix), startAfter.map({ key > $0 }) ?? true else { continue }
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root + "/" + key, isDirectory: &isDirectory),
                    !isDirectory.boolValue
                else { continue }
                keys.append(key)
            }
        }
        keys.sort()
        let page = keys.prefix(max(1, limit))
        var objects: [ObjectInfo] = []
        for key in page {
            if let info = try await head(try ObjectKey(key)) { objects.append(info) }
        }
        return ObjectListing(objects: objects, nextStartAfter: keys.count > page.count ? page.last : nil)
    }

    public func signedURL(_ key: ObjectKey, expiresIn: TimeInterval, overrides: ResponseOverrides) async throws -> String {
        signer.signedURL(for: key, expires: clock().addingTimeInterval(expiresIn), overrides: overrides)
    }

    public func checkHealth() async throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let probe = scratch + "/.health-" + UUID().uuidString
        guard FileManager.default.createFile(atPath: probe, contents: Data("ok".utf8)) else {
            throw ObjectStoreError.backend(message: "storage directory \(root) is not writable", setting: "TAPEDECK_DATA_DIR")
        }
        unlink(probe)
    }

    /// Removes directories left empty by a deletion, up to (not including) the root.
    private func removeEmptyDirectories(from relativeDirectory: String) {
        var current = relativeDirectory
        while !current.isEmpty, current != "." {
            if rmdir(root + "/" + current) != 0 { return }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

extension Digest {
    var hexString: String {
        var out = ""
        for byte in self { out += String(format: "%02x", byte) }
        return out
    }
}
