import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The scratch folders of local storage: one per process start, named by a random id (not the
/// process id, which repeats: every container's process is PID 1), and held by an flock on a
/// lock file beside it for as long as the process lives. A folder whose lock nobody holds
/// belongs to a process that is gone, so it is safe to remove.
enum ScratchSpace {
    /// This process start's id.
    static let startID: String = {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    }()

    /// Lock descriptors by scratch base; kept open (and so locked) until the process exits.
    private static let locks = Mutex<[String: Int32]>([:])

    /// This process's folder in `base`, created and locked on first use.
    ///
    /// The lock file appears already locked (locked under a temporary name, then renamed into
    /// place) and before the folder, so a cleanup never sees a live folder without a held lock.
    static func claim(_ base: String) -> String {
        let folder = base + "/" + startID
        locks.withLock { locks in
            guard locks[base] == nil else { return }
            try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
            let lockPath = folder + ".lock"
            let pending = lockPath + ".new"
            let fd = open(pending, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { return }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, rename(pending, lockPath) == 0 else {
                close(fd)
                unlink(pending)
                return
            }
            locks[base] = fd
        }
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Removes the folders in `base` of process starts that no longer run; returns how many.
    static func removeAbandoned(in base: String) -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return 0 }
        var removed = 0
        for entry in entries where entry != startID && !entry.hasSuffix(".lock") && !entry.hasSuffix(".lock.new") {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: base + "/" + entry, isDirectory: &isDirectory), isDirectory.boolValue
            else { continue }
            let lockPath = base + "/" + entry + ".lock"
            if FileManager.default.fileExists(atPath: lockPath) {
                let fd = open(lockPath, O_RDWR | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                // Held: its process still runs.
                guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { continue }
                try? FileManager.default.removeItem(atPath: base + "/" + entry)
                unlink(lockPath)
                removed += 1
            } else if let pid = Int32(entry), pid != getpid(), kill(pid, 0) == 0 || errno != ESRCH {
                // A folder named by process id, from an earlier version still running.
                continue
            } else {
                try? FileManager.default.removeItem(atPath: base + "/" + entry)
                removed += 1
            }
        }
        // Lock files left without a folder (a crash between the two) whose lock is free.
        for entry in entries where entry.hasSuffix(".lock") && String(entry.dropLast(5)) != startID {
            let folder = base + "/" + entry.dropLast(5)
            guard !FileManager.default.fileExists(atPath: folder) else { continue }
            let fd = open(base + "/" + entry, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(base + "/" + entry) }
            close(fd)
        }
        return removed
    }
}
