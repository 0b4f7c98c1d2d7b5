import AsyncHTTPClient
import Foundation
import HMS
import LiveKit
import Logging
import Media
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// Everything a worker talks to, passed in explicitly (tests pass fakes and a manual clock).
public struct RecordingDependencies: Sendable {
    public var catalog: Catalog
    public var store: any ObjectStore
    public var metrics: ServiceMetrics
    public var scheduler: JobScheduler
    /// Shared by the storage backends and provider clients; shut down with ``shutdown()``.
    public var http: HTTPClient
    /// Outbound webhooks get a client of their own that never follows a redirect: a receiver
    /// cannot bounce a signed delivery to an address the endpoint's URL did not name.
    public var webhookHTTP: HTTPClient
    /// Records LiveKit sessions; `nil` when LiveKit is not configured.
    public var livekit: LiveKitRecorder?
    /// Records 100ms sessions; `nil` when 100ms is not configured.
    public var hms: HMSRecorder?
    /// The policy of rooms without their own.
    public var defaultPolicy: RecordingPolicy
    /// ffmpeg and ffprobe, or why they cannot be used.
    public var mediaTools: Result<MediaTools, MediaToolError> = MediaTools.locate()
    /// Seals and opens webhook endpoints' signing secrets.
    public var webhookSecrets: WebhookSecretBox
    public var webhookRetry: WebhookRetrySchedule
    /// Records input URLs with ffmpeg (`provider: "local"`).
    public var localRecorder: LocalRecorder
    /// Where local recordings are written before they are stored.
    public var recorderDirectory: String
    public var reconcileStaleAfter: TimeInterval
    /// `TAPEDECK_ORG_FROM`: handed to the providers' recorders.
    public var organizationFromRoom: OrganizationFromRoom
    public var reconcileInterval: Duration
    public var logger: Logger
    public var webhookAllowPrivate: Bool
    /// Invitations and requested links: the sender, the mail server (`nil`: emails are recorded
    /// as `skipped`), and the key that seals links while they wait.
    package var mail: MailOutbox

    public init(
        catalog: Catalog, store: any ObjectStore, metrics: ServiceMetrics, http: HTTPClient = .shared, webhookHTTP: HTTPClient? = nil,
        webhookSecrets: WebhookSecretBox = .ephemeral(), settings: Settings? = nil, wakeup: WakeupSignal = WakeupSignal(),
        logger: Logger
    ) {
        self.catalog = catalog
        self.store = store
        self.metrics = metrics
        self.http = http
        self.webhookHTTP = webhookHTTP ?? http
        self.webhookAllowPrivate = settings?.webhookAllowPrivate ?? true
        self.defaultPolicy = settings?.defaultPolicy ?? RecordingPolicy()
        self.webhookSecrets = webhookSecrets
        self.webhookRetry = settings?.webhookRetry ?? WebhookRetrySchedule()
        self.localRecorder = LocalRecorder(catalog: catalog, storageBackend: store.backend, wakeup: wakeup)
        self.recorderDirectory =
            settings.map { $0.dataDirectory + "/recorder" } ?? FileManager.default.temporaryDirectory.path + "/tapedeck-recorder"
        self.reconcileStaleAfter = TimeInterval(settings?.livekit?.staleAfterS ?? 90)
        self.organizationFromRoom = settings?.organizationFromRoom ?? .none
        // Read with either provider's settings: a 100ms-only installation sets it too.
        self.reconcileInterval = .seconds(settings?.livekit?.reconcileIntervalS ?? settings?.hms?.reconcileIntervalS ?? 30)
        self.scheduler = JobScheduler(catalog: catalog, wakeup: wakeup)
        self.logger = logger
        self.mail = MailOutbox(
            settings: settings?.mail ?? MailSettings(), transport: nil, sealing: webhookSecrets,
            publicURL: settings?.publicURL ?? "http://localhost")
    }

    /// The local disk store behind `store`, if storage is local.
    public var localDiskStore: LocalDiskStore? {
        (store as? LocalDiskStore) ?? ((store as? InstrumentedObjectStore)?.base as? LocalDiskStore)
    }

    /// Closes the catalog and the HTTP clients.
    public func shutdown() async {
        await mail.transport?.shutdown()
        if http !== HTTPClient.shared { try? await http.shutdown() }
        if webhookHTTP !== http, webhookHTTP !== HTTPClient.shared { try? await webhookHTTP.shutdown() }
        await catalog.database.close()
    }

    /// Connects the LiveKit recorder (through `api`).
    public mutating func connectLiveKit(_ settings: LiveKitSettings, storage: StorageSettings, api: any LiveKitAPI) {
        livekit = LiveKitRecorder(
            catalog: catalog, api: api, destination: EgressDestination.from(storage: storage, livekit: settings),
            defaultPolicy: defaultPolicy, storageBackend: store.backend, wakeup: scheduler.wakeup, logger: logger)
        livekit?.reconcileStaleAfter = reconcileStaleAfter
        livekit?.organizationFromRoom = organizationFromRoom
    }

    /// The configured providers, by name.
    package var providers: RecordingProviders { RecordingProviders(livekit: livekit, hms: hms, local: localRecorder) }

    /// Connects 100ms' recorder (through `api`).
    public mutating func connectHMS(_ settings: HMSSettings, storage: StorageSettings, api: any HMSAPI) {
        var recorder = HMSRecorder(
            catalog: catalog, api: api, defaultPolicy: defaultPolicy, storageBackend: store.backend, wakeup: scheduler.wakeup,
            logger: logger, meetingURLTemplate: settings.meetingURLTemplate)
        recorder.reconcileStaleAfter = TimeInterval(settings.staleAfterS)
        recorder.transcriptLanguage = settings.transcriptLanguage
        recorder.ownBucket = HMSOwnBucket(storage: storage)
        recorder.organizationFromRoom = organizationFromRoom
        hms = recorder
    }

    /// The job handlers of this process.
    public var jobHandlers: JobHandlers {
        var handlers = JobHandlers([
            PurgeRecordingObjectsJob(catalog: catalog, store: store),
            IngestFilesJob(catalog: catalog, store: store, logger: logger),
            VerifyOutputsJob(catalog: catalog, store: store),
            PostProcessJob(catalog: catalog, store: store, localDisk: localDiskStore, tools: mediaTools, logger: logger),
            WebhookFanOutJob(catalog: catalog, scheduler: scheduler),
            LocalRecordJob(catalog: catalog, store: store, tools: mediaTools, workDirectory: recorderDirectory, logger: logger),
            WebhookDeliveryJob(
                catalog: catalog, http: webhookHTTP, secrets: webhookSecrets, schedule: webhookRetry,
                allowPrivate: webhookAllowPrivate),
            InvitationFanOutJob(catalog: catalog, outbox: mail, defaultPolicy: defaultPolicy),
            EmailDeliveryJob(catalog: catalog, outbox: mail),
            AccessRequestJob(catalog: catalog, outbox: mail, defaultPolicy: defaultPolicy),
        ])
        if let livekit {
            handlers.register(StartEgressJob(recorder: livekit))
            handlers.register(StopEgressJob(recorder: livekit))
        }
        if let hms {
            handlers.register(HMSStartJob(recorder: hms))
            handlers.register(HMSStopJob(recorder: hms))
            handlers.register(HMSSyncJob(recorder: hms))
            handlers.register(HMSCopyJob(recorder: hms, store: store, http: http))
            handlers.register(HMSTranscriptJob(recorder: hms, http: http))
            handlers.register(HMSSideFilesJob(recorder: hms, store: store, http: http))
        }
        return handlers
    }
}
