import Foundation

/// Where the catalog lives, parsed from `DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable {
    /// A SQLite file (created if missing), or `:memory:` for a private in-memory database.
    case sqlite(path: String)
    case postgres(PostgresURL)

    public struct PostgresURL: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
        public var database: String
        public var tls: TLSMode

        public enum TLSMode: String, Sendable, Equatable {
            case disable, prefer, require
        }
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case unsupportedScheme(String)
        case malformed(String)

        public var description: String {
            switch self {
            case .unsupportedScheme(let scheme):
                "unsupported scheme \"\(scheme)\" (use postgres://user:password@host:5432/database or sqlite:///path/to/file.sqlite)"
            case .malformed(let why): why
            }
        }
    }

    /// Parses `postgres://` / `postgresql://` URLs (with `sslmode` = disable | prefer | require)
    /// and `sqlite:` URLs (`sqlite:///absolute/path`, `sqlite://relative/path`, `sqlite::memory:`).
    public static func parse(_ text: String) throws(ParseError) -> DatabaseLocation {
        if text.hasPrefix("sqlite:") {
            var rest = String(text.dropFirst("sqlite:".count))
            if rest == ":memory:" { return .sqlite(path: ":memory:") }
            if rest.hasPrefix("//") { rest.removeFirst(2) }
            guard !rest.isEmpty else { throw .malformed("sqlite URL has no file path") }
            return .sqlite(path: rest)
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            throw .malformed("not a URL (expected postgres://user:password@host:5432/database)")
        }
        guard scheme == "postgres" || scheme == "postgresql" else { throw .unsupportedScheme(scheme) }
        guard let host = components.host, !host.isEmpty else { throw .malformed("the URL has no host") }
        guard let user = components.user, !user.isEmpty else { throw .malformed("the URL has no user name") }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty, !database.contains("/") else {
            throw .malformed("the URL has no database name (postgres://user@host:5432/database)")
        }
        var tls = PostgresURL.TLSMode.prefer
        for item in components.queryItems ?? [] where item.name == "sslmode" {
            switch item.value ?? "" {
            case "disable": tls = .disable
            case "allow", "prefer": tls = .prefer
            case "require", "verify-ca", "verify-full": tls = .require
            default: throw .malformed("sslmode must be disable, prefer or require")
            }
        }
        return .postgres(
            PostgresURL(
                host: host, port: components.port ?? 5432,
                username: user.removingPercentEncoding ?? user,
                password: components.password.map { $0.removingPercentEncoding ?? $0 },
                database: database.removingPercentEncoding ?? database, tls: tls))
    }

    /// For logs and start-up output: never includes the password.
    public var redactedDescription: String {
        switch self {
        case .sqlite(let path): "SQLite at \(path)"
        case .postgres(let url): "PostgreSQL at \(url.username)@\(url.host):\(url.port)/\(url.database)"
        }
    }
}
