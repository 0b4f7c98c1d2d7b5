import FluentPostgresDriver
import Foundation
import Logging
import NIOCore
import NIOSSL

/// Holds one dedicated PostgreSQL connection that `LISTEN`s on ``JobQueue/notificationChannel``,
/// so a job enqueued by any process wakes this process's idle worker at once.
///
/// Notifications are a hint, never the only way a job is found: the worker still polls. When the
/// connection dies (the server restarts, an administrator terminates it, the network drops) the
/// listener connects again with exponential backoff; notifications sent meanwhile are lost, so
/// every (re)connection counts as a wake-up too and the worker looks at the queue once.
public struct JobNotificationListener: Sendable {
    public struct Options: Sendable {
        /// First wait after a failed connection; doubled per failure up to `maximumBackoff`.
        public var initialBackoff: Duration
        public var maximumBackoff: Duration
        /// How often the idle connection is checked with `SELECT 1`: a connection that died
        /// without a close (a dropped network) is noticed within this long.
        public var healthCheckInterval: Duration
        /// Sent as `application_name`, so the connection can be told apart in `pg_stat_activity`.
        public var applicationName: String

        public init(
            initialBackoff: Duration = .milliseconds(100), maximumBackoff: Duration = .seconds(10),
            healthCheckInterval: Duration = .seconds(15), applicationName: String = "tapedeck job listener"
        ) {
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.healthCheckInterval = healthCheckInterval
            self.applicationName = applicationName
        }
    }

    /// What the listener reports; every closure is called from the listener's task.
    public struct Events: Sendable {
        /// `LISTEN` is in place; `reconnected` is false the first time.
        public var listening: @Sendable (_ reconnected: Bool) -> Void
        /// A notification arrived with this payload (a job kind).
        public var notification: @Sendable (_ payload: String) -> Void
        /// The connection was lost or could not be made; the listener will try again.
        public var lost: @Sendable () -> Void

        public init(
            listening: @escaping @Sendable (Bool) -> Void, notification: @escaping @Sendable (String) -> Void,
            lost: @escaping @Sendable () -> Void = {}
        ) {
            self.listening = listening
            self.notification = notification
            self.lost = lost
        }
    }

    let url: DatabaseLocation.PostgresURL
    let options: Options
    let logger: Logger

    public init(url: DatabaseLocation.PostgresURL, options: Options = Options(), logger: Logger) {
        self.url = url
        self.options = options
        self.logger = logger
    }

    /// Listens until the task is cancelled.
    public func run(_ events: Events) async {
        var backoff = options.initialBackoff
        var listenedBefore = false
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            var connection: PostgresConnection?
            do {
                let opened = try await PostgresConnection.connect(
                    configuration: try configuration(), id: connectionID, logger: logger)
                connection = opened
                try await opened.listen(on: JobQueue.notificationChannel) { notifications in
                    events.listening(listenedBefore)
                    listenedBefore = true
                    backoff = options.initialBackoff
                    try await consume(notifications, on: opened, events)
                }
            } catch where !Task.isCancelled {
                logger.warning(
                    "the job notification connection failed; polling continues, reconnecting",
                    metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(backoff)"])
            } catch {}
            // Closed on every way out, shutdown included: a connection must not be dropped open.
            try? await connection?.close()
            guard !Task.isCancelled else { break }
            events.lost()
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, options.maximumBackoff)
        }
    }

    /// Passes notifications on until the stream ends or the health check fails (both throw).
    private func consume(
        _ notifications: PostgresNotificationSequence, on connection: PostgresConnection, _ events: Events
    ) async throws {
        let interval = options.healthCheckInterval
        let logger = logger
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await notification in notifications {
                    events.notification(notification.payload)
                }
                if !Task.isCancelled { throw ListenerEnded() }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: interval)
                    for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    struct ListenerEnded: Error, CustomStringConvertible {
        var description: String { "the notification stream ended" }
    }

    private func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch url.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: tls)
        configuration.options.additionalStartupParameters = [("application_name", options.applicationName)]
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }
}
