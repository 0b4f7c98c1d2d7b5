import Crypto
import Foundation
import NIOCore
import NIOFileSystem
import NIOPosix
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
    /// This process's temporary files, on the same file system as `root` so rename is atomic.
    let scratch: String
    let signer: MediaURLSigner
    let clock: @Sendable () -> Date

    static let chunkLength: ByteCount = .kibibytes(256)

    /// Where scratch goes when the preferred folder is on another file system than the root:
    /// inside the root, under a name no object key can have (keys refuse backslashes, whatever
    /// a room is called), and so left out of listings.
    public static let scratchInRoot = ".tapedeck\\scratch"

    /// Files of the store's own inside the root (scratch, probes, copies on their way into place)
    /// carry a backslash in their name, which no object key has.
    static let ownFileMarker = ".tapedeck\\"

    /// - Parameter scratch: the preferred folder for temporary files (the data dir's `tmp`); used
    ///   when it is on the root's file system, else scratch moves into the root (see ``scratchBase``).
    ///   This process writes in a subfolder of its own start, so folders left by killed processes
    ///   can be recognised and removed.
    public init(root: String, scratch: String, signer: MediaURLSigner, clock: @escaping @Sendable () -> Date = Date.init) {
        self.root = root
        self.scratch = ScratchSpace.claim(Self.scratchBase(root: root, preferred: scratch))
        self.signer = signer
        self.clock = clock
    }

    /// The folder scratch lives in: `preferred` if it is on the same file system as `root` (rename
    /// between them is then atomic), otherwise a folder inside `root`. A `TAPEDECK_LOCAL_ROOT` on
    /// another mount than the data dir would otherwise make every write fail with EXDEV.
    public static func scratchBase(root: String, preferred: String) -> String {
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: preferred, withIntermediateDirectories: true)
        var rootStatus = stat()
        var preferredStatus = stat()
        guard stat(root, &rootStatus) == 0, stat(preferred, &preferredStatus) == 0 else { return preferred }
        return rootStatus.st_dev == preferredStatus.st_dev ? preferred : root + "/" + scratchInRoot
    }

    /// The folder this store's scratch is in (where ``removeAbandonedScratch(in:)`` should look).
    public var scratchBase: String { (scratch as NSString).deletingLastPathComponent }

    /// Removes the scratch folders of process starts that no longer run (temporary files of
    /// writes a crash interrupted), whatever their process id. Returns how many were removed.
    @discardableResult
    public static func removeAbandonedScratch(in scratch: String) -> Int {
        ScratchSpace.removeAbandoned(in: scratch)
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
            if rename(temporary, destination) != 0 {
                // A folder under the root can be a mount of its own: copy beside the destination, then rename there.
                guard errno == EXDEV else {
                    throw ObjectStoreError.backend(
                        message: "cannot move a stored file into place: \(String(cString: strerror(errno)))",
                        setting: "TAPEDECK_LOCAL_ROOT")
                }
                try await NIOThreadPool.singleton.runIfActive { try Self.copyThenRename(temporary, to: destination) }
                unlink(temporary)
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

    /// Moves the files into place by rename: each is fsynced first, renamed, and every directory
    /// it landed in fsynced once at the end, so on return all of them are durable. A file on
    /// another file system is copied through ``put`` instead.
    public func moveFiles(_ files: [FileToStore]) async throws -> [ObjectInfo] {
        let moved: [Bool] = try await NIOThreadPool.singleton.runIfActive {
            var moved: [Bool] = []
            var directories: [String] = []
            for file in files {
                let destination = path(file.key)
                let directory = (destination as NSString).deletingLastPathComponent
                try Self.fsyncFile(file.path)
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                if rename(file.path, destination) == 0 {
                    moved.append(true)
                    if !directories.contains(directory) { directories.append(directory) }
                } else if errno == EXDEV {
                    moved.append(false)
                } else {
                    throw ObjectStoreError.backend(
                        message: "cannot move \(file.path) into the store: \(String(cString: strerror(errno)))",
                        setting: "TAPEDECK_DATA_DIR")
                }
            }
            for directory in directories { Self.syncDirectory(directory) }
            return moved
        }
        var stored: [ObjectInfo] = []
        for (file, wasMoved) in zip(files, moved) {
            if wasMoved {
                guard var info = try await head(file.key) else { throw ObjectStoreError.notFound(file.key.rawValue) }
                info.contentType = file.contentType ?? info.contentType
                stored.append(info)
            } else {
                stored.append(try await putFile(file.key, path: file.path, contentType: file.contentType, progress: nil))
                unlink(file.path)
            }
        }
        return stored
    }

    /// A new empty folder on the store's file system (in this process's scratch, which is removed
    /// if the process dies), for files that will be moved into the store.
    public func makeWorkDirectory() throws -> String {
        let directory = scratch + "/work-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    static func fsyncFile(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ObjectStoreError.backend(
                message: "cannot open \(path): \(String(cString: strerror(errno)))", setting: "TAPEDECK_DATA_DIR")
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw ObjectStoreError.backend(
                message: "cannot flush \(path) to disk: \(String(cString: strerror(errno)))", setting: "TAPEDECK_DATA_DIR")
        }
    }

    /// Reads up to this size are done in one step on the I/O thread pool (open, pread, close);
    /// larger ones stream in chunks. Media players fetch segments and ranges well under it.
    static let singleReadLimit: Int64 = 4 << 20

    public func get(_ key: ObjectKey, range: ByteRange?) async throws -> ObjectDownload {
        guard let info = try await head(key) else { throw ObjectStoreError.notFound(key.rawValue) }
        var resolved: ClosedRange<Int64>?
        if let range {
            guard let r = range.resolve(size: info.size) else {
                throw ObjectStoreError.rangeNotSatisfiable(size: info.size)
            }
            resolved = r
        }
        let span = resolved.map { $0.lowerBound..<($0.upperBound + 1) } ?? 0..<info.size
        if span.count <= Self.singleReadLimit {
            let bytes = try await Self.readOnce(path: path(key), span: span)
            return ObjectDownload(info: info, range: resolved, body: ObjectBody { sink in try await sink(bytes) })
        }
        let filePath = FilePath(path(key))
        return ObjectDownload(info: info, range: resolved, body: ObjectBody { sink in
            try await FileSystem.shared.withFileHandle(forReadingAt: filePath) { handle in
                for try await chunk in handle.readChunks(in: span, chunkLength: Self.chunkLength) {
                    try await sink(chunk)
                }
            }
        })
    }

    /// open + pread + close in a single hop to the I/O thread pool (each file-system call as its
    /// own hop cost more than the read itself for small ranges).
    static func readOnce(path: String, span: Range<Int64>) async throws -> ByteBuffer {
        try await NIOThreadPool.singleton.runIfActive { try readSynchronously(path: path, span: span) }
    }

    public func head(_ key: ObjectKey) async throws -> ObjectInfo? {
        try Self.fileInfo(key: key, path: path(key))
    }

    /// The path of a key's file under `root` (the key is already validated).
    public func filePath(_ key: ObjectKey) -> String { path(key) }

    /// Size, type and ETag of a stored file (a blocking `stat`); `nil` when there is none. The
    /// ETag changes whenever the file is replaced (modification time, size and inode).
    public static func fileInfo(key: ObjectKey, path: String) throws -> ObjectInfo? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ObjectStoreError.backend(
                message: "cannot read \(key.rawValue): \(String(cString: strerror(errno)))", setting: "TAPEDECK_DATA_DIR")
        }
        return fileInfo(key: key, status: status)
    }

    /// The same facts from an open file's `fstat`.
    public static func fileInfo(key: ObjectKey, descriptor: Int32) -> ObjectInfo? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return fileInfo(key: key, status: status)
    }

    static func fileInfo(key: ObjectKey, status: stat) -> ObjectInfo? {
        guard (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        let modifiedNs = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        return ObjectInfo(
            key: key.rawValue, size: Int64(status.st_size), contentType: ContentTypes.forKey(key.rawValue),
            etag: etag(modifiedNs: modifiedNs, size: Int64(status.st_size), inode: UInt64(status.st_ino)),
            lastModified: Date(timeIntervalSince1970: Double(modifiedNs) / 1e9))
    }

    /// `"mtime-size-inode"` in hex, written byte by byte (every served media request makes one).
    static func etag(modifiedNs: Int64, size: Int64, inode: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes = [UInt8]()
        bytes.reserveCapacity(56)
        func appendHex(_ value: UInt64) {
            var shift = max(0, (63 - value.leadingZeroBitCount) / 4 * 4)
            while shift >= 0 {
                bytes.append(digits[Int(value >> UInt64(shift) & 0xF)])
                shift -= 4
            }
        }
        bytes.append(UInt8(ascii: "\""))
        appendHex(UInt64(bitPattern: modifiedNs))
        bytes.append(UInt8(ascii: "-"))
        appendHex(UInt64(bitPattern: size))
        bytes.append(UInt8(ascii: "-"))
        appendHex(inode)
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    private typealias PReadV2 = @convention(c) (Int32, UnsafePointer<iovec>?, Int32, Int, Int32) -> Int
    /// `preadv2` is not exposed to Swift by the Glibc module; resolved once at run time.
    private static let preadv2: PReadV2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "preadv2")
        .map { unsafeBitCast($0, to: PReadV2.self) }
    private static let readNoWait: Int32 = 0x0000_0008  // RWF_NOWAIT

    private typealias SyscallFunction = @convention(c) (Int, Int32, UnsafeRawPointer, UnsafeMutableRawPointer, UInt32) -> Int
    /// `syscall(2)`, for `cachestat` which has no libc wrapper. Called with a fixed (non-variadic)
    /// signature: all arguments are integers or pointers, which the Linux ABIs pass alike.
    private static let syscall: SyscallFunction? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syscall")
        .map { unsafeBitCast($0, to: SyscallFunction.self) }
    private static let cachestatNumber = 451
    private static let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))

    /// Whether every page of `span` of an open file is in the page cache (Linux `cachestat`, 6.5+),
    /// so that sending it with `sendfile` cannot block on the disk. `false` when unknown.
    public static func isCached(descriptor: Int32, span: Range<Int64>) -> Bool {
        guard let syscall, !span.isEmpty else { return span.isEmpty }
        var range: (UInt64, UInt64) = (UInt64(span.lowerBound), UInt64(span.count))
        var counts: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)
        let result = withUnsafePointer(to: &range) { rangePointer in
            withUnsafeMutablePointer(to: &counts) { countsPointer in
                syscall(cachestatNumber, descriptor, rangePointer, countsPointer, 0)
            }
        }
        guard result == 0 else { return false }
        let pages = (span.upperBound - 1) / pageSize - span.lowerBound / pageSize + 1
        return Int64(counts.0) >= pages
    }

    /// Reads `span` only if every byte is already in the page cache (`preadv2` with `RWF_NOWAIT`),
    /// so an event loop can serve it without blocking; `nil` means "go to the I/O thread pool".
    public static func readIfCached(path: String, span: Range<Int64>) -> ByteBuffer? {
        guard let preadv2 else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = ByteBufferAllocator().buffer(capacity: Int(span.count))
        var offset = span.lowerBound
        while offset < span.upperBound {
            let wanted = Int(span.upperBound - offset)
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer -> Int in
                var vector = iovec(iov_base: pointer.baseAddress, iov_len: wanted)
                let read = preadv2(fd, &vector, 1, Int(offset), readNoWait)
                return max(read, 0)
            }
            // Nothing read: not cached (EAGAIN), unsupported, or an error; the thread pool will tell.
            if got == 0 { return nil }
            offset += Int64(got)
        }
        return buffer
    }

    /// Reads `span` of a file synchronously (open, pread, close); for callers already on an I/O thread.
    public static func readSynchronously(path: String, span: Range<Int64>) throws -> ByteBuffer {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw errno == ENOENT ? ObjectStoreError.notFound(path) : ObjectStoreError.backend(
                message: "cannot open \(path): \(String(cString: strerror(errno)))", setting: "TAPEDECK_DATA_DIR")
        }
        defer { close(fd) }
        return try readSynchronously(descriptor: fd, path: path, span: span)
    }

    /// Reads `span` of a file already open (pread); the caller closes `fd`, and `path` names the
    /// file in errors.
    public static func readSynchronously(descriptor fd: Int32, path: String, span: Range<Int64>) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: Int(span.count))
        var offset = span.lowerBound
        while offset < span.upperBound {
            let wanted = Int(span.upperBound - offset)
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { pointer in
                pread(fd, pointer.baseAddress, wanted, off_t(offset))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreError.backend(
                    message: "cannot read \(path): \(String(cString: strerror(errno)))", setting: "TAPEDECK_DATA_DIR")
            }
            if got == 0 { throw ObjectStoreError.verificationFailed("\(path) is shorter than expected") }
            offset += Int64(got)
        }
        return buffer
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
                // Scratch, probes and copies on their way into place are not objects.
                if key.contains("\\") {
                    if key == Self.scratchInRoot { enumerator.skipDescendants() }
                    continue
                }
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

    /// Takes the path a ``put`` takes: a file written in scratch and renamed into the root.
    public func checkHealth() async throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let name = "/" + Self.ownFileMarker + "health-" + UUID().uuidString
        let probe = scratch + name
        guard FileManager.default.createFile(atPath: probe, contents: Data("ok".utf8)) else {
            throw ObjectStoreError.backend(message: "scratch directory \(scratch) is not writable", setting: "TAPEDECK_DATA_DIR")
        }
        defer { unlink(probe) }
        guard rename(probe, root + name) == 0 else {
            throw ObjectStoreError.backend(
                message: "cannot move a file from \(scratch) into \(root): \(String(cString: strerror(errno)))",
                setting: "TAPEDECK_LOCAL_ROOT")
        }
        unlink(root + name)
    }

    /// Copies `source` to a temporary file beside `destination`, makes it durable, and renames it into place.
    static func copyThenRename(_ source: String, to destination: String) throws {
        let directory = (destination as NSString).deletingLastPathComponent
        let temporary = directory + "/" + ownFileMarker + UUID().uuidString + ".part"
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
            try fsyncFile(temporary)
            guard rename(temporary, destination) == 0 else {
                throw ObjectStoreError.backend(
                    message: "cannot move a stored file into place: \(String(cString: strerror(errno)))",
                    setting: "TAPEDECK_LOCAL_ROOT")
            }
        } catch {
            unlink(temporary)
            throw error
        }
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
