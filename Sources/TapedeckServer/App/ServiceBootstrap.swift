import AsyncHTTPClient
import Foundation
import HMS
import LiveKit
import Logging
import ObjectStorage
import NIOPosix
import TapedeckCore
import TapedeckStore
import TapedeckRecording

#if canImport(Glibc)
    import Glibc
#endif

/// Opens what a process needs from its settings: the catalog (migrated), the object store,
/// metrics. Used by `serve`, `worker` and the admin commands.
public enum ServiceBootstrap {
    public static func openCatalog(_ settings: Settings, logger: Logger, migrate: Bool) async throws -> Catalog {
        let database = try CatalogDatabase.open(
            settings.database, preparedStatements: settings.preparedStatements, logger: logger)
        do {
            try await database.configureSession()
            if migrate {
                let applied = try await CatalogMigrator(database).apply()
                if !applied.isEmpty {
                    logger.info("applied migrations", metadata: ["migrations": "\(applied.joined(separator: ", "))"])
                }
            }
        } catch {
            await database.close()
            throw error
        }
        return Catalog(database: database, clock: SystemClock())
    }

    /// The signer of local `/media` URLs: `TAPEDECK_MEDIA_SECRET`, or a key generated once in the data dir.
    public static func mediaSigner(_ settings: Settings) throws -> MediaURLSigner {
        let secret: [UInt8]
        if let configured = settings.mediaSecret {
            secret = Array(configured.utf8)
        } else {
            secret = try loadOrCreateSecret(
                at: settings.dataDirectory + "/secrets/media-signing.key", setting: "TAPEDECK_MEDIA_SECRET")
        }
        return MediaURLSigner(secret: secret, baseURL: settings.publicURL)
    }

    /// Viewer-token and playlist-link keys: configured, or generated once in the data dir.
    public static func playbackKeys(_ settings: Settings) throws -> PlaybackKeys {
        let viewer =
            try settings.viewerSecret.map { Array($0.utf8) }
            ?? loadOrCreateSecret(at: settings.dataDirectory + "/secrets/viewer-token.key", setting: "TAPEDECK_VIEWER_SECRET")
        let link =
            try settings.mediaSecret.map { Array($0.utf8) }
            ?? loadOrCreateSecret(at: settings.dataDirectory + "/secrets/media-signing.key", setting: "TAPEDECK_MEDIA_SECRET")
        var keys = PlaybackKeys(
            viewerSecret: viewer, linkSecret: link, ttl: TimeInterval(settings.playbackTTLSeconds),
            publicURL: settings.publicURL)
        keys.shareMaxLifetime = settings.shareMaxTTLSeconds
        keys.trustedProxies = settings.trustedProxies
        return keys
    }

    /// The key sealing webhook secrets: `TAPEDECK_WEBHOOK_SEALING_KEY`, or one generated once in the data dir.
    public static func webhookSecretBox(_ settings: Settings) throws -> WebhookSecretBox {
        let material =
            try settings.webhookSealingKey.map { Array($0.utf8) }
            ?? loadOrCreateSecret(at: settings.dataDirectory + "/secrets/webhook-sealing.key", setting: "TAPEDECK_WEBHOOK_SEALING_KEY")
        return WebhookSecretBox(material: material)
    }

    /// The configured object store, reporting to `observer`.
    public static func makeStore(
        _ settings: Settings, http: HTTPClient, observer: any ObjectStoreObserver
    ) throws -> any ObjectStore {
        let store: any ObjectStore
        switch settings.storage {
        case .local(let root):
            let local = LocalDiskStore(root: root, scratch: settings.dataDirectory + "/tmp", signer: try mediaSigner(settings))
            // Both places scratch can be: the storage root may have moved to or from another mount.
            LocalDiskStore.removeAbandonedScratch(in: settings.dataDirectory + "/tmp")
            LocalDiskStore.removeAbandonedScratch(in: root + "/" + LocalDiskStore.scratchInRoot)
            store = local
        case .s3(let configuration):
            store = try S3Store(configuration: configuration, http: http)
        case .gcs(let configuration, let accountFile):
            let account = try accountFile.map { path -> GCSServiceAccount in
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw SettingsError("TAPEDECK_GCS_SERVICE_ACCOUNT_FILE", "cannot read \(path)")
                }
                return try GCSServiceAccount(json: data)
            }
            store = GCSStore(objects: try S3Store(configuration: configuration, http: http), serviceAccount: account)
        case .supabase(let configuration):
            store = SupabaseStore(configuration: configuration, http: http)
        }
        return InstrumentedObjectStore(store, observer: observer)
    }

    /// An HTTP client for storage and provider APIs, sized for parallel multipart uploads.
    public static func makeHTTPClient(followRedirects: Bool = true) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        if !followRedirects { configuration.redirectConfiguration = .disallow }
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
        configuration.timeout = .init(connect: .seconds(10))
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public static func dependencies(_ settings: Settings, logger: Logger, migrate: Bool) async throws -> AppDependencies {
        let catalog = try await openCatalog(settings, logger: logger, migrate: migrate)
        let http = makeHTTPClient()
        let webhookHTTP = makeHTTPClient(followRedirects: false)
        do {
            let metrics = ServiceMetrics()
            let store = try makeStore(settings, http: http, observer: metrics)
            var signer: MediaURLSigner?
            if case .local = settings.storage { signer = try mediaSigner(settings) }
            var dependencies = AppDependencies(
                catalog: catalog, store: store, metrics: metrics, http: http, webhookHTTP: webhookHTTP, mediaSigner: signer,
                playback: try playbackKeys(settings), webhookSecrets: try webhookSecretBox(settings), settings: settings,
                logger: logger)
            dependencies.pages = try await PageRenderer.load(mediaOrigins: try await pageMediaOrigins(settings, store: store))
            // Revoked shares are refused by `/media` from the first request on.
            try await dependencies.revokedShares.refresh(from: catalog)
            if let livekit = settings.livekit {
                let client = TwirpClient(url: livekit.url, credentials: livekit.credentials, http: http)
                dependencies.connectLiveKit(livekit, storage: settings.storage, api: LiveKitTwirpAPI(client: client))
            }
            if let hms = settings.hms {
                let client = HMSRESTClient(
                    credentials: HMSCredentials(accessKey: hms.accessKey, secret: hms.secret), http: http, baseURL: hms.apiURL)
                dependencies.connectHMS(hms, storage: settings.storage, api: client, webhookSecret: try hmsWebhookSecret(settings, hms))
            }
            if let smtp = try settings.mail.smtpConfiguration() {
                logger.info("mail is sent through \(smtp)")
                dependencies.recording.mail.transport = SMTPMailTransport(
                    configuration: smtp, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            } else {
                logger.notice("no mail server (TAPEDECK_SMTP_URL): invitations are recorded as skipped, not sent")
            }
            // Mail is optional: `/readyz` warns when there is none (emails are recorded as skipped).
            let mailConfigured = dependencies.mail.isConfigured
            dependencies.readinessChecks.append(
                ReadinessCheck(name: "mail", required: false) { if !mailConfigured { throw MailNotConfigured() } })
            return dependencies
        } catch {
            // Clients must be shut down before they go: one dropped on a failed start traps.
            try? await http.shutdown()
            try? await webhookHTTP.shutdown()
            await catalog.database.close()
            throw error
        }
    }

    /// What 100ms must send in `Tapedeck-Webhook-Secret`: the setting, or the hex of a key
    /// generated into the data dir (kept across restarts, like the other keys).
    static func hmsWebhookSecret(_ settings: Settings, _ hms: HMSSettings) throws -> String {
        if let secret = hms.webhookSecret { return secret }
        let key = try loadOrCreateSecret(at: hmsWebhookSecretPath(settings), setting: "TAPEDECK_HMS_WEBHOOK_SECRET")
        return key.map { String(format: "%02x", $0) }.joined()
    }

    public static func hmsWebhookSecretPath(_ settings: Settings) -> String {
        settings.dataDirectory + "/secrets/hms-webhook.key"
    }

    /// Where browsers fetch media for the pages: Tapedeck itself (local storage's `/media` URLs)
    /// and, for buckets, the origin their signed URLs point at. An S3 or GCS URL is signed locally,
    /// so a throwaway one names the origin exactly; Supabase signs over the network, so its
    /// project URL is used.
    /// A URL that cannot be signed stops start-up: pages without the bucket's origin would
    /// refuse to play anything, without a word.
    static func pageMediaOrigins(_ settings: Settings, store: any ObjectStore) async throws -> [String] {
        switch settings.storage {
        case .local:
            return [settings.publicURL]
        case .supabase(let configuration):
            return [settings.publicURL, configuration.projectURL]
        case .s3, .gcs:
            let probe = try await store.signedURL(ObjectKey("origin-probe"), expiresIn: 60, overrides: .init())
            return [settings.publicURL, probe]
        }
    }

    /// A 32-byte secret kept in the data directory (mode 0600), created on first use, so the
    /// defaults need no configuration and signed URLs survive restarts.
    ///
    /// Anything in the way (a file that cannot be read, one too short to be a key, a directory in
    /// its place, a folder that cannot be written) stops start-up with a ``SettingsError`` naming
    /// `setting` and the file: a throwaway key instead would break every link and sealed secret
    /// at the next restart, without a word.
    static func loadOrCreateSecret(at path: String, setting: String) throws -> [UInt8] {
        let remedy = "set \(setting), or fix or remove the file"
        if let existing = try readSecretFile(path, setting: setting, remedy: remedy) { return existing }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SettingsError(setting, "cannot create \(directory) for \(path): \(error.localizedDescription)")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let temporary = path + ".\(getpid()).\(UInt32.random(in: .min ... .max, using: &generator)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SettingsError(setting, "cannot write \(path): \(String(cString: strerror(errno))) (\(remedy))")
        }
        let written = secret.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == secret.count, synced else {
            unlink(temporary)
            throw SettingsError(setting, "cannot write \(path): \(String(cString: strerror(errno))) (\(remedy))")
        }
        // link() fails if another process created the file first; then theirs wins.
        let linked = link(temporary, path) == 0
        let linkError = errno
        unlink(temporary)
        if linked { return secret }
        guard linkError == EEXIST, let theirs = try readSecretFile(path, setting: setting, remedy: remedy) else {
            throw SettingsError(setting, "cannot create \(path): \(String(cString: strerror(linkError))) (\(remedy))")
        }
        return theirs
    }

    /// The key in `path`, `nil` when there is no such file, or an error saying what is wrong with it.
    private static func readSecretFile(_ path: String, setting: String, remedy: String) throws -> [UInt8]? {
        var status = stat()
        if stat(path, &status) != 0 {
            if errno == ENOENT { return nil }
            throw SettingsError(setting, "cannot read \(path): \(String(cString: strerror(errno))) (\(remedy))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw SettingsError(setting, "\(path) is not a regular file (a directory?) (\(remedy))")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw SettingsError(setting, "cannot read \(path): \(String(cString: strerror(errno))) (\(remedy))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let bytes: [UInt8]
        do {
            bytes = Array(try handle.readToEnd() ?? Data())
        } catch {
            throw SettingsError(setting, "cannot read \(path): \(error.localizedDescription) (\(remedy))")
        }
        guard bytes.count >= 32 else {
            throw SettingsError(setting, "\(path) holds \(bytes.count) bytes; a key needs at least 32 (\(remedy))")
        }
        return bytes
    }
}
