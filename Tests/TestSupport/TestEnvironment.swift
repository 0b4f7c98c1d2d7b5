import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What this test run has beyond the package itself. A suite or test that needs one of these
/// carries the matching trait below, so that without it the run reports it as skipped, with
/// the reason, rather than passing with nothing tested.
public enum TestEnvironment {
    static var variables: [String: String] { ProcessInfo.processInfo.environment }

    static func isSet(_ name: String) -> Bool {
        !(variables[name] ?? "").isEmpty
    }

    /// A PostgreSQL server to create test databases on (`TEST_DATABASE_URL`).
    public static var hasPostgres: Bool { isSet("TEST_DATABASE_URL") }

    /// The default-mode S3 server of the test command's peers (`TEST_S3_ENDPOINT`).
    public static var hasS3: Bool { isSet("TEST_S3_ENDPOINT") }

    /// The S3 server that checks every signature, and its credentials (`TEST_S3_IAM_*`).
    public static var hasS3IAM: Bool {
        isSet("TEST_S3_IAM_ENDPOINT") && isSet("TEST_S3_IAM_ACCESS_KEY_ID") && isSet("TEST_S3_IAM_SECRET_ACCESS_KEY")
    }

    /// The proxy that renames CompleteMultipartUpload's answer (`TEST_S3_RENAMING_ENDPOINT`).
    public static var hasS3RenamingProxy: Bool { isSet("TEST_S3_RENAMING_ENDPOINT") }

    /// The Supabase Storage stand-in (`TEST_SUPABASE_URL`, `TEST_SUPABASE_KEY`).
    public static var hasSupabase: Bool { isSet("TEST_SUPABASE_URL") && isSet("TEST_SUPABASE_KEY") }

    /// `ffmpeg` and `ffprobe` on `PATH`, found the way the media tools find them.
    public static var hasFFmpeg: Bool { onPath("ffmpeg") && onPath("ffprobe") }

    /// `/dev/shm` on another file system than the temporary folder, to move files across.
    public static var hasSecondFileSystem: Bool {
        var shm = stat()
        var tmp = stat()
        return stat("/dev/shm", &shm) == 0 && stat(NSTemporaryDirectory(), &tmp) == 0 && shm.st_dev != tmp.st_dev
    }

    /// A Python that can `import webvtt` (webvtt-py, an independent WebVTT parser): the
    /// repository's test venv (scripts/python-venv.sh), else `python3` on `PATH`.
    public static let pythonWithWebVTT: String? = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let path = (variables["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/python3" }
        let candidates = [root.appendingPathComponent(".venv/bin/python").path] + path
        return candidates.first { python in
            FileManager.default.isExecutableFile(atPath: python)
                && (try? ProcessRunner.runBlocking(python, ["-c", "import webvtt"]))?.status == 0
        }
    }()

    static func onPath(_ name: String) -> Bool {
        (variables["PATH"] ?? "/usr/bin:/bin").split(separator: ":").contains { directory in
            FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)")
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs only with PostgreSQL.
    public static var requiresPostgres: Self {
        .enabled(if: TestEnvironment.hasPostgres, "needs PostgreSQL: set TEST_DATABASE_URL (scripts/throwaway-postgres.sh)")
    }

    /// Runs only against the default-mode S3 server.
    public static var requiresS3: Self {
        .enabled(if: TestEnvironment.hasS3, "needs an S3 server: set TEST_S3_ENDPOINT (Tests/peers/s3_peers.py start)")
    }

    /// Runs only against the S3 server that checks signatures.
    public static var requiresS3IAM: Self {
        .enabled(
            if: TestEnvironment.hasS3IAM,
            "needs the signature-checking S3 server: set TEST_S3_IAM_ENDPOINT, TEST_S3_IAM_ACCESS_KEY_ID and TEST_S3_IAM_SECRET_ACCESS_KEY (Tests/peers/s3_peers.py start)"
        )
    }

    /// Runs only through the proxy renaming CompleteMultipartUpload's answer.
    public static var requiresS3RenamingProxy: Self {
        .enabled(
            if: TestEnvironment.hasS3RenamingProxy,
            "needs the renaming S3 proxy: set TEST_S3_RENAMING_ENDPOINT (Tests/peers/s3_peers.py start)")
    }

    /// Runs only against the Supabase Storage stand-in.
    public static var requiresSupabase: Self {
        .enabled(
            if: TestEnvironment.hasSupabase,
            "needs the Supabase Storage stand-in: set TEST_SUPABASE_URL and TEST_SUPABASE_KEY (Tests/peers/s3_peers.py start)")
    }

    /// Runs only with ffmpeg and ffprobe.
    public static var requiresFFmpeg: Self {
        .enabled(if: TestEnvironment.hasFFmpeg, "needs ffmpeg and ffprobe on PATH")
    }

    /// Runs only with a Python that has webvtt-py.
    public static var requiresPythonWebVTT: Self {
        .enabled(
            if: TestEnvironment.pythonWithWebVTT != nil,
            "needs Python with webvtt-py: scripts/python-venv.sh, or pip install webvtt-py")
    }

    /// Runs only where /dev/shm is another file system than the temporary folder.
    public static var requiresSecondFileSystem: Self {
        .enabled(if: TestEnvironment.hasSecondFileSystem, "needs /dev/shm on another file system than the temporary folder")
    }
}
