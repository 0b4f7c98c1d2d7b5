import AsyncHTTPClient
import Foundation
import HMS
import LiveKit
import Media
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// What the HTTP server talks to: the worker's dependencies (``RecordingDependencies``, whose
/// members read through this one) and what only serving needs.
@dynamicMemberLookup
public struct AppDependencies: Sendable {
    public var recording: RecordingDependencies
    public var readinessChecks: [ReadinessCheck]
    /// Verifies `/media` URLs when storage is local.
    public var mediaSigner: MediaURLSigner?
    /// Revoked shares, for `/media` to refuse their URLs without asking the catalog.
    public let revokedShares = RevokedShares()
    /// API keys authenticated recently, so a request on one in use costs no statement. Their
    /// ages are measured on a monotonic clock (tests set one they can move).
    public var verifiedKeys = VerifiedKeys(clock: MonotonicClock())
    public var webhookVerifier: WebhookVerifier?
    /// What 100ms' webhooks must carry in `Tapedeck-Webhook-Secret`; `nil` without 100ms.
    public var hmsWebhookSecret: [UInt8]?
    /// When set, only these addresses may send 100ms webhooks.
    public var hmsSourceIPs: TrustedProxies?
    /// Viewer tokens and playback links.
    public var playback: PlaybackKeys
    /// This process among the instances sharing the catalog (its metrics name it).
    public var instance: InstanceRecord?
    /// The web pages' templates (`nil` serves the API alone).
    var pages: PageRenderer?

    public subscript<Value>(dynamicMember path: WritableKeyPath<RecordingDependencies, Value>) -> Value {
        get { recording[keyPath: path] }
        set { recording[keyPath: path] = newValue }
    }

    public subscript<Value>(dynamicMember path: KeyPath<RecordingDependencies, Value>) -> Value {
        recording[keyPath: path]
    }

    public init(
        catalog: Catalog, store: any ObjectStore, metrics: ServiceMetrics, http: HTTPClient = .shared, webhookHTTP: HTTPClient? = nil,
        mediaSigner: MediaURLSigner? = nil, playback: PlaybackKeys = .ephemeral(),
        webhookSecrets: WebhookSecretBox = .ephemeral(), settings: Settings? = nil, wakeup: WakeupSignal = WakeupSignal(),
        readinessChecks: [ReadinessCheck]? = nil, logger: Logger
    ) {
        self.recording = RecordingDependencies(
            catalog: catalog, store: store, metrics: metrics, http: http, webhookHTTP: webhookHTTP, webhookSecrets: webhookSecrets,
            settings: settings, wakeup: wakeup, logger: logger)
        // The keys come in loaded (see ServiceBootstrap.dependencies), never derived here: a key
        // that cannot be read must stop start-up, not be replaced by a throwaway one.
        self.mediaSigner = mediaSigner
        self.playback = playback
        self.playback.organizationSecrets = webhookSecrets.derived(for: "organization-viewer-secrets")
        self.readinessChecks =
            readinessChecks ?? [
                ReadinessCheck(name: "database") { try await catalog.database.ping() },
                ReadinessCheck(name: "storage", reuseFor: .seconds(10)) { try await store.checkHealth() },
                // Recordings play without ffmpeg; only post-processing waits for it.
                ReadinessCheck(name: "media", required: false) {
                    if case .failure(let missing) = MediaTools.locate() { throw missing }
                },
            ]
    }

    /// Seals organizations' viewer-token secrets: a key derived from the webhook sealing key, so
    /// the one configured key (`TAPEDECK_WEBHOOK_SEALING_KEY` or the generated file) covers both.
    var viewerSecretBox: WebhookSecretBox { playback.organizationSecrets }

    /// Closes the catalog and the HTTP clients.
    public func shutdown() async { await recording.shutdown() }

    /// Connects 100ms: the recorder (through `api`) and its webhooks' secret.
    public mutating func connectHMS(_ settings: HMSSettings, storage: StorageSettings, api: any HMSAPI, webhookSecret: String) {
        recording.connectHMS(settings, storage: storage, api: api)
        hmsWebhookSecret = Array(webhookSecret.utf8)
        hmsSourceIPs = settings.sourceIPs
    }

    /// Connects LiveKit: the recorder (through `api`) and the webhook verifier.
    public mutating func connectLiveKit(_ settings: LiveKitSettings, storage: StorageSettings, api: any LiveKitAPI) {
        recording.connectLiveKit(settings, storage: storage, api: api)
        webhookVerifier = WebhookVerifier(keys: settings.webhookKeys)
    }
}
