import AsyncHTTPClient
import Foundation
import LiveKit
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckStore

#if canImport(Glibc)
    import Glibc
#endif

/// Opens what a process needs from its settings: the catalog (migrated), the object store,
/// metrics. Used by `serve`, `worker` and the admin commands.
public enum ServiceBootstrap {
    public static func openCatalog(_ settings: Settings, logger: Logger, migrate: Bool) async throws -> Catalog {
        let database = try CatalogDatabase.open(settings.database, logger: logger)
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
                at: settings.dataDirectory + "/secrets/media-signing.key", setting: "TAPEDECK_DATA_DIR")
        }
        return MediaURLSigner(secret: secret, baseURL: settings.publicURL)
    }

    /// Viewer-token and playlist-link keys: configured, or generated once in the data dir.
    public static func playbackKeys(_ settings: Settings) throws -> PlaybackKeys {
        let viewer =
            try settings.viewerSecret.map { Array($0.utf8) }
            ?? loadOrCreateSecret(at: settings.dataDirectory + "/secrets/viewer-token.key", setting: "TAPEDECK_DATA_DIR")
        let link =
            try settings.mediaSecret.map { Array($0.utf8) }
            ?? loadOrCreateSecret(at: settings.dataDirectory + "/secrets/media-signing.key", setting: "TAPEDECK_DATA_DIR")
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
            LocalDiskStore.removeAbandonedScratch(in: settings.dataDirectory + "/tmp")
            store = LocalDiskStore(root: root, scratch: settings.dataDirectory + "/tmp", signer: try mediaSigner(settings))
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
        do {
            let metrics = ServiceMetrics()
            let store = try makeStore(settings, http: http, observer: metrics)
            var dependencies = AppDependencies(
                catalog: catalog, store: store, metrics: metrics, http: http,
                webhookHTTP: makeHTTPClient(followRedirects: false), settings: settings, logger: logger)
            dependencies.pages = try await PageRenderer.load(mediaOrigins: await pageMediaOrigins(settings, store: store))
            // Revoked shares are refused by `/media` from the first request on.
            try await dependencies.revokedShares.refresh(from: catalog)
            if let livekit = settings.livekit {
                let client = TwirpClient(url: livekit.url, credentials: livekit.credentials, http: http)
                dependencies.connectLiveKit(livekit, storage: settings.storage, api: LiveKitTwirpAPI(client: client))
            }
            return dependencies
        } catch {
            try? await http.shutdown()
            await catalog.database.close()
            throw error
        }
    }

    /// Where browsers fetch media for the pages: Tapedeck itself (local storage's `/media` URLs)
    /// and, for buckets, the origin their signed URLs point at. An S3 or GCS URL is signed locally,
    /// so a throwaway one names the origin exactly; Supabase signs over the network, so its
    /// project URL is used.
    static func pageMediaOrigins(_ settings: Settings, store: any ObjectStore) async -> [String] {
        switch settings.storage {
        case .local:
            return [settings.publicURL]
        case .supabase(let configuration):
            return [settings.publicURL, configuration.projectURL]
        case .s3, .gcs:
            let probe = try? await store.signedURL(ObjectKey("origin-probe"), expiresIn: 60, overrides: .init())
            return [settings.publicURL] + (probe.map { [$0] } ?? [])
        }
    }

    /// A 32-byte secret kept in the data directory (mode 0600), created on first use, so the
    /// defaults need no configuration and signed URLs survive restarts.
    static func loadOrCreateSecret(at path: String, setting: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path), data.count >= 32 {
            return Array(data)
        }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SettingsError(setting, "cannot create \(directory): \(error.localizedDescription)")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(
            atPath: temporary, contents: Data(secret), attributes: [.posixPermissions: 0o600])
        else { throw SettingsError(setting, "cannot write \(path)") }
        // link() fails if another process created the file first; then theirs wins.
        if link(temporary, path) != 0 {
            unlink(temporary)
            guard let data = FileManager.default.contents(atPath: path), data.count >= 32 else {
                throw SettingsError(setting, "cannot create \(path)")
            }
            return Array(data)
        }
        unlink(temporary)
        return secret
    }
}
