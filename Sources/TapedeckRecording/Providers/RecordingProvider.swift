import Foundation
import Logging
import TapedeckCore
import TapedeckStore

/// What a recorder of sessions does for Tapedeck, whoever runs it (LiveKit's egress, the local
/// ffmpeg recorder, and later other providers). Controllers, the webhook routes and the
/// reconciler talk to this, never to a provider's own types; a provider is found by the name
/// stored on its recordings (``RecordingProviders``).
package protocol RecordingProvider<Report>: Sendable {
    /// What the provider tells Tapedeck about its recordings: a verified webhook, a poll's answer.
    associatedtype Report: Sendable

    /// Stored on rooms, sessions and recordings (`livekit`, `local`).
    var name: String { get }
    var catalog: Catalog { get }
    var wakeup: WakeupSignal { get }

    /// Starts recording a room with a plan; throws ``RecordingStartError`` for what the caller
    /// asked wrongly or what the provider refused.
    func start(_ request: RecordingStartRequest) async throws -> Recording

    /// Asks an active recording to stop (inside the caller's transaction; idempotent).
    func requestStop(_ tx: CatalogSession, recording: Recording, reason: String, actor: String) async throws

    /// Applies one report, de-duplicated, in one transaction; says what came of it.
    func apply(_ report: Report) async throws -> ProviderReportOutcome

    /// Brings the provider's recordings that had no news for a while to the provider's truth
    /// (stops those past their limit, looks up quiet ones, closes sessions the provider ended).
    func reconcile() async throws

    /// Whether what `report` describes writes into `recording`'s own folder (and nowhere else),
    /// so that it may be adopted as that recording's output.
    func writes(_ report: Report, into recording: Recording) -> Bool

    /// Pauses (or resumes) what an active recording writes; throws ``RecordingPauseError``.
    func setPaused(_ paused: Bool, recording: Recording, actor: String) async throws
}

extension RecordingProvider {
    /// LiveKit's egress and the local recorder cannot pause: a pause would be a stop.
    package func setPaused(_ paused: Bool, recording: Recording, actor: String) async throws {
        throw RecordingPauseError.notSupported(provider: name)
    }
}

/// Why a pause or resume was refused.
package enum RecordingPauseError: Error, Sendable, Equatable {
    case notSupported(provider: String)
    /// Only a recording that is recording may pause or resume.
    case notRecording(RecordingStatus)
    /// The provider refused or did not answer.
    case provider(String)
    /// Paused ``PausedStretches/maximumCount`` times already.
    case tooManyPauses
    /// Another pause or resume of this recording is with the provider.
    case inProgress
}

/// What a provider did with a report.
public enum ProviderReportOutcome: String, Sendable {
    case applied, duplicate, ignored
}

/// A start asked for through the API or the demo; provider-specific choices in `options`.
package struct RecordingStartRequest: Sendable {
    package enum Options: Sendable {
        /// A provider's recorder in a live room (LiveKit's egress, 100ms' browser recorder): the
        /// room's policy with these choices on top.
        case composite(layout: String?, audioOnly: Bool?, outputs: [RecordingPolicy.Output]?)
        /// An input URL recorded by ffmpeg; `participants` may watch.
        case local(input: String, participants: [String])
    }

    package var room: String
    package var title: String?
    package var maxDurationS: Int?
    package var requestedBy: String
    package var requestKey: String?
    package var options: Options

    package init(
        room: String, title: String? = nil, maxDurationS: Int? = nil, requestedBy: String, requestKey: String? = nil,
        options: Options
    ) {
        self.room = room
        self.title = title
        self.maxDurationS = maxDurationS
        self.requestedBy = requestedBy
        self.requestKey = requestKey
        self.options = options
    }
}

/// Why a start did not happen, with the request field it concerns when there is one.
package enum RecordingStartError: Error, Sendable {
    /// The request does not suit this provider.
    case invalid(field: String, message: String)
    /// The room is already being recorded.
    case alreadyActive(room: String, recording: UUID?)
    /// The provider has no such live room.
    case roomNotFound(String)
    /// The room's stored policy cannot be read.
    case policyUnreadable(String)
    /// The provider did not answer.
    case unavailable(String)
}

/// The providers of this process, by name.
package struct RecordingProviders: Sendable {
    package var livekit: LiveKitRecorder?
    package var hms: HMSRecorder?
    package var local: LocalRecorder

    package init(livekit: LiveKitRecorder?, hms: HMSRecorder? = nil, local: LocalRecorder) {
        self.livekit = livekit
        self.hms = hms
        self.local = local
    }

    /// Every configured provider.
    package var all: [any RecordingProvider] {
        [livekit as (any RecordingProvider)?, hms, local].compactMap { $0 }
    }

    /// The provider that records under `name`, if configured.
    package func named(_ name: String) -> (any RecordingProvider)? {
        all.first { $0.name == name }
    }

    /// Names a request may ask for, configured or not (to tell "unknown" from "not configured").
    package static let known = [LiveKitRecorder.provider, HMSRecorder.provider, LocalRecorder.provider]
}
