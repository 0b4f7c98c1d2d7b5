import Foundation
import Logging
import ServiceLifecycle
import TapedeckCore
import TapedeckStore

/// `tapedeck demo`: records the synthetic source into a room, waits for it to be processed, and
/// prints a player link with a viewer token. Runs beside the server and worker it needs.
public struct DemoRun: Service {
    package let dependencies: RecordingDependencies
    /// Signs the viewer token of the link.
    package let viewerSecret: [UInt8]
    /// Where the link points.
    package let publicURL: String
    package let room: String
    package let seconds: Int
    package let viewer = "demo-viewer"
    /// Where the result goes (stdout for the command).
    package let report: @Sendable (String) -> Void

    public init(
        dependencies: RecordingDependencies, viewerSecret: [UInt8], publicURL: String, room: String = "tapedeck-demo", seconds: Int,
        report: @escaping @Sendable (String) -> Void
    ) {
        self.dependencies = dependencies
        self.viewerSecret = viewerSecret
        self.publicURL = publicURL
        self.room = room
        self.seconds = seconds
        self.report = report
    }

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    public func run() async throws {
        if case .failure(let missing) = dependencies.mediaTools {
            throw Failed(description: "the demo records with ffmpeg: \(missing)")
        }
        let catalog = dependencies.catalog
        let start = LocalRecorder.Start(
            room: room, input: "synthetic://", maxDurationS: seconds, title: "Tapedeck demo", participants: [viewer],
            requestedBy: "demo")
        guard let recording = try await catalog.transaction({ tx in try await dependencies.localRecorder.start(tx, start) }) else {
            throw Failed(description: "room \(room) is already being recorded; try again when it is done")
        }
        dependencies.scheduler.wakeup.signal()
        report("Recording \(seconds) s of a test pattern (a running clock and a tone) into room \"\(room)\"...")

        let ready = try await waitFor(recording.id, timeout: Double(seconds) + 120) { current in
            if current.status == .failed || current.status == .aborted {
                throw Failed(description: "the recording failed: \(current.error ?? current.status.rawValue)")
            }
            return current.status == .ready
        }
        let megabytes = Double(ready.sizeBytes ?? 0) / 1_000_000
        report(String(format: "Ready: %.1f s, %.1f MB of HLS. Making the thumbnail, the MP4 and the hover previews...",
                      Double(ready.durationMs ?? 0) / 1000, megabytes))
        let processed = try await waitFor(recording.id, timeout: 180) { current in
            Set(current.assets.map(\.kind)).isSuperset(of: [.hls, .mp4, .thumbnail, .storyboard])
        }
        let expires = catalog.clock.now().addingTimeInterval(7 * 86_400).timeIntervalSince1970.rounded(.down)
        let token = try ViewerToken.mint(
            ViewerClaims(sub: viewer, name: "Demo viewer", email: nil, exp: expires), secret: viewerSecret)
        report("Processed: \(processed.assets.map(\.kind.rawValue).sorted().joined(separator: ", ")).")
        report("Watch it (as participant \"\(viewer)\", valid 7 days):")
        report("  \(publicURL)/recordings/\(recording.id.uuidString.lowercased())?token=\(token)")
    }

    /// Polls the recording until `done` says so.
    package func waitFor(_ id: UUID, timeout: Double, _ done: (Recording) throws -> Bool) async throws -> Recording {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let current = try await dependencies.catalog.pool.recordings.find(id: id), try done(current) { return current }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw Failed(description: "timed out after \(Int(timeout)) s waiting for recording \(id.uuidString.lowercased())")
    }
}
