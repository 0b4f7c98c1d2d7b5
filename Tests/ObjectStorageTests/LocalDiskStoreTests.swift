import Crypto
import Synchronization
import Foundation
import NIOCore
import Testing
import TestSupport
@testable import ObjectStorage

@Suite("Local disk store")
struct LocalDiskStoreTests {
    func withStore(_ body: (LocalDiskStore, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let store = LocalDiskStore(
            root: directory.path + "/objects", scratch: directory.path + "/tmp",
            signer: MediaURLSigner(secret: Array(repeating: 1, count: 32), baseURL: "http://media.test"))
        try await body(store, directory)
    }

    func bytes(_ count: Int, seed: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test func movedFilesLandWithoutACopy() async throws {
        try await withStore { store, _ in
            let work = try store.makeWorkDirectory()
            var files: [FileToStore] = []
            var inodes: [UInt64] = []
            for index in 0..<3 {
                let path = work + "/segment_\(index).ts"
                _ = FileManager.default.createFile(atPath: path, contents: Data(bytes(1000 + index, seed: UInt8(index))))
                inodes.append((try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as! NSNumber).uint64Value)
                files.append(FileToStore(key: try ObjectKey("room/rec/segment_\(index).ts"), path: path, contentType: "video/mp2t"))
            }
            let stored = try await store.moveFiles(files)
            #expect(stored.map(\.size) == [1000, 1001, 1002])
            #expect(stored.map(\.contentType) == Array(repeating: "video/mp2t", count: 3))
            for (index, file) in files.enumerated() {
                #expect(!FileManager.default.fileExists(atPath: file.path))
                let landed = store.filePath(file.key)
                // The same file (inode), renamed: no bytes were copied.
                #expect((try FileManager.default.attributesOfItem(atPath: landed)[.systemFileNumber] as! NSNumber).uint64Value
                        == inodes[index])
                let fetched = try await store.get(file.key).body.collect(upTo: 1 << 20)
                #expect(Array(fetched.readableBytesView) == bytes(1000 + index, seed: UInt8(index)))
            }
        }
    }

    @Test(.requiresSecondFileSystem)
    func aFileOnAnotherFileSystemIsCopiedThenRemoved() async throws {
        try await withStore { store, _ in
            let path = "/dev/shm/tapedeck-move-\(UUID().uuidString)"
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes(5000)))
            defer { unlink(path) }
            let key = try ObjectKey("room/rec/elsewhere.bin")
            let stored = try await store.moveFiles([FileToStore(key: key, path: path, contentType: nil)])
            #expect(stored.map(\.size) == [5000])
            #expect(!FileManager.default.fileExists(atPath: path))
            let fetched = try await store.get(key).body.collect(upTo: 1 << 20)
            #expect(Array(fetched.readableBytesView) == bytes(5000))
        }
    }

    @Test func roundTripStreamAndFile() async throws {
        try await withStore { store, directory in
            let content = bytes(3 << 20, seed: 7)
            let chunks = stride(from: 0, to: content.count, by: 100_000).map {
                ByteBuffer(bytes: content[$0..<min(content.count, $0 + 100_000)])
            }
            let key = try ObjectKey("room/session/session.mp4")
            let stored = try await store.put(key, body: chunks.async, contentType: nil)
            #expect(stored.size == Int64(content.count))
            #expect(stored.sha256 == Array(SHA256.hash(data: content)).map { String(format: "%02x", $0) }.joined())
            let fetched = try await store.get(key).body.collect(upTo: 4 << 20)
            #expect(Array(fetched.readableBytesView) == content)

            let file = directory.path + "/source.bin"
            _ = FileManager.default.createFile(atPath: file, contents: Data(content.reversed()))
            let reported = Mutex<Int64>(0)
            let fromFile = try await store.putFile(
                try ObjectKey("room/session/copy.bin"), path: file, contentType: nil,
                progress: { value in reported.withLock { $0 = max($0, value) } })
            #expect(fromFile.size == Int64(content.count))
            #expect(reported.withLock { $0 } == Int64(content.count))
            let copy = try await store.get(try ObjectKey("room/session/copy.bin")).body.collect(upTo: 4 << 20)
            #expect(Array(copy.readableBytesView) == content.reversed())
            // Nothing is left behind in the scratch folder.
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.scratch).isEmpty)
        }
    }

    @Test func rangesAreStreamedExactly() async throws {
        try await withStore { store, _ in
            let content = bytes(1_000_000)
            let key = try ObjectKey("r/s/file.ts")
            _ = try await store.put(key, body: [ByteBuffer(bytes: content)].async, contentType: nil)
            let cases: [(ByteRange, ClosedRange<Int64>)] = [
                (.bounded(first: 10, last: 19), 10...19), (.from(999_990), 999_990...999_999),
                (.suffix(5), 999_995...999_999), (.bounded(first: 999_999, last: 5_000_000), 999_999...999_999),
            ]
            for (range, expected) in cases {
                let download = try await store.get(key, range: range)
                #expect(download.range == expected)
                let body = try await download.body.collect(upTo: 1 << 20)
                #expect(Array(body.readableBytesView) == Array(content[Int(expected.lowerBound)...Int(expected.upperBound)]))
            }
            await #expect(throws: ObjectStoreError.rangeNotSatisfiable(size: 1_000_000)) {
                _ = try await store.get(key, range: .from(1_000_000))
            }
            await #expect(throws: ObjectStoreError.notFound("r/s/absent.ts")) {
                _ = try await store.get(try ObjectKey("r/s/absent.ts"))
            }
        }
    }

    @Test("the ETag is the file's modification time, size and inode in hex")
    func etagFormat() {
        #expect(LocalDiskStore.etag(modifiedNs: 0x1A2B, size: 0, inode: 255) == "\"1a2b-0-ff\"")
        for _ in 0..<100 {
            let (time, size, inode) = (Int64.random(in: 0...Int64.max), Int64.random(in: 0...(1 << 40)), UInt64.random(in: 0...UInt64.max))
            let expected = "\"\(String(time, radix: 16))-\(String(size, radix: 16))-\(String(inode, radix: 16))\""
            #expect(LocalDiskStore.etag(modifiedNs: time, size: size, inode: inode) == expected)
        }
    }

    @Test func headListDeletePrefix() async throws {
        try await withStore { store, _ in
            for index in 0..<25 {
                _ = try await store.put(
                    try ObjectKey("room/a/seg_\(String(format: "%03d", index)).ts"), body: [ByteBuffer(string: "x")].async,
                    contentType: nil)
            }
            _ = try await store.put(try ObjectKey("room/ab/keep.ts"), body: [ByteBuffer(string: "y")].async, contentType: nil)
            let info = try #require(try await store.head(try ObjectKey("room/a/seg_000.ts")))
            #expect(info.size == 1 && info.contentType == "video/mp2t" && info.etag?.hasPrefix("\"") == true)
            #expect(try await store.head(try ObjectKey("room/a")) == nil, "a folder is not an object")

            var keys: [String] = []
            var after: String?
            repeat {
                let page = try await store.list(prefix: "room/a/", startAfter: after, limit: 10)
                keys += page.objects.map(\.key)
                after = page.nextStartAfter
            } while after != nil
            #expect(keys.count == 25 && keys == keys.sorted())
            #expect(try await store.list(prefix: "room/a", startAfter: nil, limit: 100).objects.count == 26)

            #expect(try await store.deletePrefix("room/a/") == 25)
            #expect(try await store.head(try ObjectKey("room/ab/keep.ts")) != nil)
            #expect(try await store.list(prefix: "room/a/", startAfter: nil, limit: 10).objects.isEmpty)
            try await store.delete(try ObjectKey("room/a/never-existed.ts"))
        }
    }

    /// Scratch folders are keyed by a random id per process start and held by a lock, so one left
    /// by an earlier start with the same process id (PID 1 in every container) is still removed.
    @Test func abandonedScratchFoldersAreRemovedEvenWhenTheProcessIDRepeats() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let base = directory.path
        func leave(_ name: String) throws {
            try FileManager.default.createDirectory(atPath: base + "/" + name, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: base + "/\(name)/x.part", contents: Data("partial".utf8))
        }
        // Left by earlier starts: one named by this very process id, one by a pid that cannot
        // exist, and one by a random start id whose lock nobody holds any more.
        try leave("\(getpid())")
        try leave("2147483000")
        try leave("0123abcd-4567ef")
        _ = FileManager.default.createFile(atPath: base + "/0123abcd-4567ef.lock", contents: nil)
        // Another process that still runs, holding its lock.
        try leave("live-other")
        _ = FileManager.default.createFile(atPath: base + "/live-other.lock", contents: nil)
        // It holds the lock until its standard input closes: however long this test is kept
        // waiting for a thread, the lock is still held when it looks.
        let holder = Process()
        let release = Pipe()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [base + "/live-other.lock", "cat"]
        holder.standardInput = release
        holder.standardOutput = FileHandle.nullDevice
        try holder.run()
        defer { try? release.fileHandleForWriting.close() }
        var held = false
        let deadline = ContinuousClock.now + .seconds(30)
        while !held, ContinuousClock.now < deadline {
            let fd = open(base + "/live-other.lock", O_RDWR)
            guard fd >= 0 else { break }  // no file to look at: `held` stays false and fails below
            held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK
            if !held { flock(fd, LOCK_UN) }
            close(fd)
            if !held { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(held)
        // This process's own start.
        let store = LocalDiskStore(
            root: base + "-objects", scratch: base,
            signer: MediaURLSigner(secret: Array(repeating: 1, count: 32), baseURL: "http://media.test"))
        defer { try? FileManager.default.removeItem(atPath: base + "-objects") }
        let ours = (store.scratch as NSString).lastPathComponent
        #expect(ours != "\(getpid())")

        #expect(LocalDiskStore.removeAbandonedScratch(in: base) == 3)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: base))
        #expect(left == [ours, ours + ".lock", "live-other", "live-other.lock"])
    }

    /// A root on another file system than the preferred scratch (here /dev/shm, a tmpfs): scratch
    /// moves into the root, so a write is still one rename, and listings do not show it.
    @Test(.requiresSecondFileSystem) func scratchFollowsARootOnAnotherFileSystem() async throws {
        let directory = try TemporaryDirectory.create()
        defer { directory.remove() }
        let root = "/dev/shm/tapedeck-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let store = LocalDiskStore(
            root: root, scratch: directory.path + "/tmp",
            signer: MediaURLSigner(secret: Array(repeating: 1, count: 32), baseURL: "http://media.test"))
        #expect(store.scratchBase == root + "/" + LocalDiskStore.scratchInRoot)
        try await store.checkHealth()
        let key = try ObjectKey("room/rec/a.bin")
        let body = bytes(300_000)
        let info = try await store.put(key, body: [ByteBuffer(bytes: body)].async, contentType: nil)
        #expect(info.size == 300_000)
        #expect(FileManager.default.contents(atPath: store.filePath(key)) == Data(body))
        // A room may be called anything, even like the scratch folder: its objects are still objects.
        _ = try await store.put(try ObjectKey(".tapedeck-scratch/s/b.bin"), body: [ByteBuffer(string: "b")].async, contentType: nil)
        let listed = try await store.list(prefix: "", startAfter: nil, limit: 100).objects.map(\.key)
        #expect(listed == [".tapedeck-scratch/s/b.bin", "room/rec/a.bin"])
        #expect(LocalDiskStore.removeAbandonedScratch(in: store.scratchBase) == 0)
        #expect(try await store.head(try ObjectKey(".tapedeck-scratch/s/b.bin")) != nil)
    }

    @Test func traversalCannotReachOutsideTheRoot() async throws {
        try await withStore { store, directory in
            _ = FileManager.default.createFile(atPath: directory.path + "/secret.txt", contents: Data("secret".utf8))
            #expect(throws: ObjectKeyError.dotSegment) { try ObjectKey("../secret.txt") }
            await #expect(throws: ObjectKeyError.self) { _ = try await store.list(prefix: "../", startAfter: nil, limit: 10) }
            await #expect(throws: ObjectKeyError.self) { _ = try await store.deletePrefix("../") }
        }
    }

    @Test func signedURLsCoverKeyExpiryAndOverrides() throws {
        let signer = MediaURLSigner(secret: Array(repeating: 1, count: 32), baseURL: "http://media.test/")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let overrides = ResponseOverrides(contentDisposition: "attachment; filename=\"a b.mp4\"")
        let url = signer.signedURL(for: try ObjectKey("room a/s.mp4"), expires: now.addingTimeInterval(60), overrides: overrides)
        #expect(url.hasPrefix("http://media.test/media/room%20a/s.mp4?expires=1800000060&disposition=attachment%3B%20filename%3D%22a%20b.mp4%22&sig="))
        let components = URLComponents(string: url)!
        let query = Dictionary(uniqueKeysWithValues: components.queryItems!.map { ($0.name, $0.value!) })
        func verify(key: String = "room a/s.mp4", expires: String? = query["expires"], sig: String? = query["sig"],
                    o: ResponseOverrides = overrides, at: Date = now) -> MediaURLSigner.Rejection? {
            signer.verify(objectKey: key, expires: expires, signature: sig, overrides: o, now: at)
        }
        #expect(verify() == nil)
        #expect(verify(key: "room a/other.mp4") == .badSignature)
        #expect(verify(expires: "1800009999") == .badSignature)
        // Its first character changed (a last one may be padding bits, and a fixed one may be the same).
        let signature = query["sig"]!
        #expect(verify(sig: (signature.first == "A" ? "B" : "A") + signature.dropFirst()) == .badSignature)
        #expect(verify(sig: nil) == .missingSignature)
        #expect(verify(o: ResponseOverrides()) == .badSignature)
        #expect(verify(at: now.addingTimeInterval(61)) == .expired)
        let other = MediaURLSigner(secret: Array(repeating: 2, count: 32), baseURL: "http://media.test")
        #expect(other.verify(objectKey: "room a/s.mp4", expires: query["expires"], signature: query["sig"], overrides: overrides, now: now) == .badSignature)
    }

    @Test("a URL granted through a share names it, and it cannot be dropped or smuggled into another field")
    func signedURLsBindTheShare() throws {
        let signer = MediaURLSigner(secret: Array(repeating: 1, count: 32), baseURL: "http://media.test")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let share = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        let url = signer.signedURL(for: try ObjectKey("r/s/seg.ts"), expires: now.addingTimeInterval(60), share: share)
        #expect(url.contains("&share=\(share)&sig="))
        let query = Dictionary(uniqueKeysWithValues: URLComponents(string: url)!.queryItems!.map { ($0.name, $0.value!) })
        func verify(share: String?, type: String? = nil) -> MediaURLSigner.Rejection? {
            signer.verify(
                objectKey: "r/s/seg.ts", expires: query["expires"], signature: query["sig"],
                overrides: ResponseOverrides(contentType: type), share: share, now: now)
        }
        #expect(verify(share: share) == nil)
        #expect(verify(share: nil) == .badSignature)
        #expect(verify(share: "11111111-2222-3333-4444-555555555555") == .badSignature)
        #expect(verify(share: nil, type: "\nshare:\(share)") == .badSignature)
        // URLs that name no share sign exactly as before.
        let plain = signer.signedURL(for: try ObjectKey("r/s/seg.ts"), expires: now.addingTimeInterval(60))
        #expect(!plain.contains("share="))
    }
}
