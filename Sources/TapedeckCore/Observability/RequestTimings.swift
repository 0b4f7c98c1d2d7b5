import Synchronization

/// Where one request's time went, for the `Server-Timing` header: waiting for a database
/// connection, running statements, writing JSON. The phases do not overlap, so what the total
/// leaves over is the rest of the handler (routing, authentication's hashing, parameters).
///
/// The collector travels with the request's task (``current``), so the database layer records
/// into it without every repository call taking it as a parameter; where no request set one,
/// recording costs one task-local read.
public final class RequestTimings: Sendable {
    public enum Phase: String, CaseIterable, Sendable {
        /// Waiting for a connection from the pool.
        case pool
        /// Statements, from sending to the last row decoded.
        case db
        /// Writing the response's JSON.
        case encode
    }

    @TaskLocal public static var current: RequestTimings?

    private struct Totals {
        var durations: [Phase: Duration] = [:]
        var statements = 0
    }

    private let totals = Mutex(Totals())

    public init() {}

    public func add(_ phase: Phase, _ duration: Duration) {
        totals.withLock { $0.durations[phase, default: .zero] += duration }
    }

    public func countStatement() {
        totals.withLock { $0.statements += 1 }
    }

    public var statements: Int { totals.withLock { $0.statements } }

    /// Times `body` as `phase` when a request is collecting, and just runs it otherwise.
    public static func measure<T>(_ phase: Phase, _ body: () throws -> T) rethrows -> T {
        guard let timings = current else { return try body() }
        let start = ContinuousClock.now
        defer { timings.add(phase, ContinuousClock.now - start) }
        return try body()
    }

    /// The header's value, in milliseconds with microsecond resolution:
    /// `pool;dur=0.012, db;dur=2.345;desc="2 statements", encode;dur=0.210, total;dur=3.100`.
    /// Only numbers and fixed names go in, so nothing a request sends can reach the header.
    public func serverTimingHeader(total: Duration) -> String {
        let snapshot = totals.withLock { $0 }
        var parts: [String] = []
        for phase in Phase.allCases {
            var part = "\(phase.rawValue);dur=\(Self.milliseconds(snapshot.durations[phase] ?? .zero))"
            if phase == .db { part += ";desc=\"\(snapshot.statements) statements\"" }
            parts.append(part)
        }
        parts.append("total;dur=\(Self.milliseconds(total))")
        return parts.joined(separator: ", ")
    }

    static func milliseconds(_ duration: Duration) -> String {
        let components = duration.components
        let microseconds = max(0, components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000)
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
