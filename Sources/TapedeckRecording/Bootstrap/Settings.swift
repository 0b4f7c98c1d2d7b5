import Foundation
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckStore

/// The service's validated configuration.
///
/// Built once at start-up from environment variables, an optional config file and command-line
/// flags (see ``ConfigurationSources``); a bad value stops start-up with a ``SettingsError``.
public struct Settings: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var database: DatabaseLocation
    public var storage: StorageSettings
    /// `TAPEDECK_SHARED_DATA_DIR`: the data directory (with local storage) is one disk for every
    /// machine running Tapedeck on this catalog (NFS and the like).
    public var sharedDataDirectory = false
    /// `nil` when LiveKit is not configured.
    public var livekit: LiveKitSettings?
    /// `nil` when 100ms is not configured.
    public var hms: HMSSettings? = nil
    /// The policy of rooms that have none of their own.
    public var defaultPolicy: RecordingPolicy
    /// Externally visible base URL, no trailing slash; used in links and webhook URLs.
    public var publicURL: String
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Largest request body the JSON API accepts.
    public var maxRequestBodyBytes: Int
    /// Jobs one worker runs at once.
    public var workerConcurrency: Int
    /// How long a claimed job is held before another worker may take it over; renewed while it runs.
    public var jobLeaseSeconds: Int
    /// `TAPEDECK_WORKER_POLL_MS`: longest an idle worker sleeps before looking at the queue again
    /// (a wake-up or a job scheduled sooner ends the sleep earlier).
    public var workerPollMilliseconds = 1000
    /// `TAPEDECK_JOB_NOTIFY`: on PostgreSQL, listen for the notification every enqueue sends, so a
    /// job queued by another process wakes this one's idle worker at once; off leaves polling only.
    public var jobNotifications = true
    /// `TAPEDECK_PREPARED_STATEMENTS`: on PostgreSQL, run the listings as statements each
    /// connection keeps prepared; off for a connection pooler in transaction mode that cannot
    /// carry them (PgBouncer before 1.21, or with `max_prepared_statements = 0`).
    public var preparedStatements = true
    /// `TAPEDECK_SERVER_TIMING`: answer every request with a `Server-Timing` header saying how
    /// long it waited for a database connection, ran statements and wrote JSON. Off by default:
    /// timings tell a caller something about the work behind an answer.
    public var serverTiming = false
    /// Key for signing local `/media` URLs; generated into the data dir when unset.
    public var mediaSecret: String?
    /// Key viewer tokens are signed with (`TAPEDECK_VIEWER_SECRET`); generated into the data dir when unset.
    public var viewerSecret: String?
    /// How long playback URLs stay valid.
    public var playbackTTLSeconds: Int = 3600
    /// Longest a share link may be valid.
    public var shareMaxTTLSeconds: Int = 30 * 86_400
    /// Passcode tries a share allows per window (`TAPEDECK_SHARE_PASSCODE_ATTEMPTS`, `TAPEDECK_SHARE_PASSCODE_WINDOW_S`).
    public var sharePasscodeLimits = PasscodeLimits()
    /// How many cues one poster keeps, and how many tracks there are, per session or recording.
    public var cueLimits = CueLimits()
    /// Key that seals webhook signing secrets in the catalog; generated into the data dir when unset.
    public var webhookSealingKey: String? = nil
    /// When failed webhook deliveries are tried again, and for how long.
    public var webhookRetry = WebhookRetrySchedule()
    /// Whether outbound webhooks may go to loopback, private and link-local addresses.
    public var webhookAllowPrivate = true
    /// Where invitations and requested links are sent from, and through which server.
    public var mail = MailSettings()
    /// `TAPEDECK_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` is believed.
    public var trustedProxies = TrustedProxies()
    /// `TAPEDECK_ORG_FROM` and `TAPEDECK_ORG_SEPARATOR`: the organization of a room first seen.
    public var organizationFromRoom = OrganizationFromRoom.none

    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    public static let defaultDataDirectory = "./tapedeck-data"

    static package func mediaSecret(_ values: SettingValues) throws(SettingsError) -> String? {
        guard let secret = values.string("TAPEDECK_MEDIA_SECRET") else { return nil }
        guard secret.utf8.count >= 32 else {
            throw SettingsError("TAPEDECK_MEDIA_SECRET", "must be at least 32 characters (it signs media URLs)")
        }
        return secret
    }

    static package func viewerSecret(_ values: SettingValues) throws(SettingsError) -> String? {
        guard let secret = values.string("TAPEDECK_VIEWER_SECRET") else { return nil }
        guard secret.utf8.count >= 32 else {
            throw SettingsError("TAPEDECK_VIEWER_SECRET", "must be at least 32 characters (it signs viewer tokens)")
        }
        return secret
    }

    static package func webhookSealingKey(_ values: SettingValues) throws(SettingsError) -> String? {
        guard let key = values.string("TAPEDECK_WEBHOOK_SEALING_KEY") else { return nil }
        guard key.utf8.count >= 32 else {
            throw SettingsError("TAPEDECK_WEBHOOK_SEALING_KEY", "must be at least 32 characters (it seals webhook secrets)")
        }
        return key
    }

    /// Reads and validates every setting.
    public static func parse(_ values: SettingValues) throws(SettingsError) -> Settings {
        let host = values.string("TAPEDECK_HOST") ?? "127.0.0.1"
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else {
            throw SettingsError("TAPEDECK_HOST", "must be a host name or IP address, got \"\(host)\"")
        }
        let port = try values.int("TAPEDECK_PORT", default: 8080, in: 0...65535)
        let dataDirectory = values.string("TAPEDECK_DATA_DIR") ?? defaultDataDirectory

        let database: DatabaseLocation
        if let url = values.string("DATABASE_URL") {
            do {
                database = try DatabaseLocation.parse(url)
            } catch {
                throw SettingsError("DATABASE_URL", error.description)
            }
        } else {
            database = .sqlite(path: (dataDirectory as NSString).appendingPathComponent("tapedeck.sqlite"))
        }

        let publicURL =
            try values.url("TAPEDECK_PUBLIC_URL")
            ?? "http://\(host == "0.0.0.0" || host == "::" ? "localhost" : host.contains(":") ? "[\(host)]" : host):\(port)"

        let logLevelName = values.string("TAPEDECK_LOG_LEVEL") ?? "info"
        guard let logLevel = Logger.Level(rawValue: logLevelName.lowercased()) else {
            let options = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw SettingsError("TAPEDECK_LOG_LEVEL", "must be one of \(options), got \"\(logLevelName)\"")
        }

        let storage = try StorageSettings.parse(values, dataDirectory: dataDirectory)
        var settings = Settings(
            host: host, port: port, dataDirectory: dataDirectory, database: database, storage: storage,
            livekit: try LiveKitSettings.parse(values, storage: storage), defaultPolicy: try RecordingPolicy.defaults(values),
            publicURL: publicURL,
            logLevel: logLevel, logFormat: try values.choice("TAPEDECK_LOG_FORMAT", default: LogFormat.text),
            maxRequestBodyBytes: try values.int("TAPEDECK_MAX_BODY_BYTES", default: 1 << 20, in: 1024...(64 << 20)),
            workerConcurrency: try values.int("TAPEDECK_WORKER_CONCURRENCY", default: 4, in: 1...256),
            jobLeaseSeconds: try values.int("TAPEDECK_JOB_LEASE_SECONDS", default: 60, in: 5...86_400),
            mediaSecret: try mediaSecret(values), viewerSecret: try viewerSecret(values),
            playbackTTLSeconds: try values.int("TAPEDECK_PLAYBACK_TTL_S", default: 3600, in: 60...86_400),
            shareMaxTTLSeconds: try values.int("TAPEDECK_SHARE_MAX_TTL_S", default: 30 * 86_400, in: 60...(366 * 86_400)))
        settings.webhookSealingKey = try webhookSealingKey(values)
        settings.hms = try HMSSettings.parse(values)
        settings.sharePasscodeLimits = PasscodeLimits(
            attempts: try values.int("TAPEDECK_SHARE_PASSCODE_ATTEMPTS", default: 5, in: 1...1000),
            window: TimeInterval(try values.int("TAPEDECK_SHARE_PASSCODE_WINDOW_S", default: 60, in: 1...86_400)))
        settings.webhookRetry = WebhookRetrySchedule(
            initialDelay: TimeInterval(try values.int("TAPEDECK_WEBHOOK_RETRY_INITIAL_S", default: 10, in: 1...3600)),
            window: TimeInterval(try values.int("TAPEDECK_WEBHOOK_RETRY_WINDOW_S", default: 86_400, in: 5...(7 * 86_400))))
        settings.cueLimits = CueLimits(
            cuesPerPoster: try values.int("TAPEDECK_MAX_CUES_PER_POSTER", default: CueLimits().cuesPerPoster, in: 1...10_000_000),
            tracks: try values.int("TAPEDECK_MAX_CUE_TRACKS", default: CueLimits().tracks, in: 1...10_000))
        settings.webhookAllowPrivate = try values.bool("TAPEDECK_WEBHOOK_ALLOW_PRIVATE", default: true)
        settings.sharedDataDirectory = try values.bool("TAPEDECK_SHARED_DATA_DIR", default: false)
        settings.workerPollMilliseconds = try values.int("TAPEDECK_WORKER_POLL_MS", default: 1000, in: 10...600_000)
        settings.jobNotifications = try values.bool("TAPEDECK_JOB_NOTIFY", default: true)
        settings.preparedStatements = try values.bool("TAPEDECK_PREPARED_STATEMENTS", default: true)
        settings.serverTiming = try values.bool("TAPEDECK_SERVER_TIMING", default: false)
        settings.mail = try MailSettings.parse(values, publicURL: publicURL)
        switch OrganizationFromRoom.parse(values.string("TAPEDECK_ORG_FROM"), separator: values.string("TAPEDECK_ORG_SEPARATOR")) {
        case .success(let rule): settings.organizationFromRoom = rule
        case .failure(let problem): throw SettingsError("TAPEDECK_ORG_FROM", problem.description)
        }
        do {
            settings.trustedProxies = try TrustedProxies(parsing: values.string("TAPEDECK_TRUSTED_PROXIES") ?? "")
        } catch {
            throw SettingsError("TAPEDECK_TRUSTED_PROXIES", "must be comma-separated IP addresses or CIDR networks: \(error)")
        }
        return settings
    }
}
