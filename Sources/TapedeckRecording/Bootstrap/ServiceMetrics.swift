import Foundation
import ObjectStorage
import Prometheus
import Synchronization

/// The Prometheus registry and the metrics the service records, passed explicitly (no global metrics system).
public final class ServiceMetrics: ObjectStoreObserver, Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Label sets of the job-depth gauge that have been set, so they can be zeroed when they empty.
    private let jobDepthLabels = Mutex<Set<String>>([])

    static package let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    static package var httpRequests: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "http_requests", unitName: "total",
        helpText: "HTTP requests answered, by method, route template and status.") }
    static package var httpRequestDuration: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "http_request_duration", unitName: "seconds",
        helpText: "Time to produce the response head, by method and route template.") }
    static package var jobsProcessed: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "jobs_processed", unitName: "total",
        helpText: "Job attempts by kind and outcome.") }
    static package var jobDuration: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "job_duration", unitName: "seconds", helpText: "Time a job attempt ran, by kind.") }
    static package var jobDepth: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "jobs", unitName: "",
        helpText: "Jobs in the queue by kind and state (done jobs are not counted).") }

    static package var hmsUncopied: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "hms_uncopied_recordings_over_a_day", unitName: "",
        helpText: "100ms recordings that ended over a day ago and are not yet copied into storage (100ms deletes them after 15 days).") }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// Metric handles by label values: looking one up in the registry builds strings and label
    /// arrays on every call, which showed on the media hot path.
    private let counters = Mutex<[String: Counter]>([:])
    private let routes = Mutex<[String: RouteMetrics]>([:])

    private func counter(_ cacheKey: String, _ make: () -> Counter) -> Counter {
        if let hit = counters.withLock({ $0[cacheKey] }) { return hit }
        let made = make()
        counters.withLock { $0[cacheKey] = made }
        return made
    }

    /// The request metrics of `route`, for recording many requests without a lookup each.
    package func routeMetrics(_ route: String) -> RouteMetrics {
        routes.withLock { known in
            if let hit = known[route] { return hit }
            let made = RouteMetrics(metrics: self, route: route)
            known[route] = made
            return made
        }
    }

    /// One request answered: counted by route and status, timed by route.
    package func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        routeMetrics(route).record(method: method, status: status, duration: duration)
    }

    /// One job attempt finished (`completed`, `retried`, `dead`, `released`, `postponed`).
    public func recordJob(kind: String, outcome: String, duration: Duration) {
        registry.makeCounter(descriptor: Self.jobsProcessed, labels: [("kind", kind), ("outcome", outcome)])
            .increment()
        registry.makeDurationHistogram(descriptor: Self.jobDuration, labels: [("kind", kind)], buckets: Self.durationBuckets)
            .recordNanoseconds(duration.nanoseconds)
    }

    /// The queue's depth as last counted (at scrape time).
    package func setJobDepth(kind: String, state: String, count: Int) {
        registry.makeGauge(descriptor: Self.jobDepth, labels: [("kind", kind), ("state", state)]).set(Int64(count))
    }

    static package var jobNotifications: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "job_notifications_received", unitName: "total",
        helpText: "PostgreSQL notifications of enqueued jobs this instance's listener received.") }
    static package var jobNotificationsIgnored: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "job_notifications_ignored", unitName: "total",
        helpText: "Received notifications that did not wake the worker: every slot was busy (it claims when one frees), or this instance had woken it for that job already.") }
    static package var jobListenerReconnects: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "job_listener_reconnects", unitName: "total",
        helpText: "Times this instance's job notification listener connected again after losing its connection.") }
    static package var jobListenerConnected: MetricNameDescriptor { MetricNameDescriptor(
        namespace: "tapedeck", metricName: "job_listener_connected", unitName: "",
        helpText: "1 while this instance's job notification listener is connected and listening.") }

    /// The job listener's counters, labelled with this instance.
    package func jobListener(instance: String) -> JobListenerMetrics {
        let labels = [("instance", instance)]
        return JobListenerMetrics(
            notifications: registry.makeCounter(descriptor: Self.jobNotifications, labels: labels),
            ignored: registry.makeCounter(descriptor: Self.jobNotificationsIgnored, labels: labels),
            reconnects: registry.makeCounter(descriptor: Self.jobListenerReconnects, labels: labels),
            connected: registry.makeGauge(descriptor: Self.jobListenerConnected, labels: labels))
    }

    /// The count of 100ms recordings overdue for their copy, as last counted (at scrape time).
    package func setHMSUncopiedOverADay(_ count: Int) {
        registry.makeGauge(descriptor: Self.hmsUncopied).set(Int64(count))
    }

    /// Sets every previously reported (kind, state) not in `current` back to zero.
    package func zeroJobDepths(except current: Set<String>) {
        let stale = jobDepthLabels.withLock { labels -> Set<String> in
            let stale = labels.subtracting(current)
            labels = current
            return stale
        }
        for label in stale {
            let parts = label.split(separator: "|", maxSplits: 1).map(String.init)
            setJobDepth(kind: parts[0], state: parts.count > 1 ? parts[1] : "", count: 0)
        }
    }

    public func record(backend: String, operation: String, outcome: String, bytes: Int64) {
        counter("storage|\(backend)|\(operation)|\(outcome)") {
            registry.makeCounter(
                descriptor: Self.storageOperations,
                labels: [("backend", backend), ("operation", operation), ("outcome", outcome)])
        }.increment()
        if bytes > 0 {
            let direction = operation == "put" ? "upload" : "download"
            counter("storage-bytes|\(backend)|\(direction)") {
                registry.makeCounter(descriptor: Self.storageBytes, labels: [("backend", backend), ("direction", direction)])
            }.increment(by: bytes)
        }
    }

    static package var storageOperations: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "tapedeck", metricName: "storage_operations", unitName: "total",
            helpText: "Object storage operations by backend, operation and outcome.")
    }
    static package var storageBytes: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "tapedeck", metricName: "storage_bytes", unitName: "total",
            helpText: "Bytes moved to and from object storage by backend and direction.")
    }

    package func render() -> [UInt8] {
        registry.emitToBuffer()
    }
}

package extension Duration {
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

package struct JobListenerMetrics: Sendable {
    package let notifications: Counter
    package let ignored: Counter
    package let reconnects: Counter
    package let connected: Gauge
}

/// The request metrics of one route, by method and status. Local media keeps its instance, as
/// building cache keys as strings on every request was a measurable part of serving a segment.
final package class RouteMetrics: Sendable {
    private struct Outcome: Hashable {
        package var method: String
        package var status: Int
    }

    private let metrics: ServiceMetrics
    private let route: String
    private let counters = Mutex<[Outcome: Counter]>([:])
    private let timers = Mutex<[String: DurationHistogram]>([:])

    package init(metrics: ServiceMetrics, route: String) {
        self.metrics = metrics
        self.route = route
    }

    package func record(method: String, status: Int, duration: Duration) {
        let outcome = Outcome(method: method, status: status)
        let counter = counters.withLock { known in
            if let counter = known[outcome] { return counter }
            let made = metrics.registry.makeCounter(
                descriptor: ServiceMetrics.httpRequests,
                labels: [("method", method), ("route", route), ("status", String(status))])
            known[outcome] = made
            return made
        }
        counter.increment()
        let timer = timers.withLock { known in
            if let timer = known[method] { return timer }
            let made = metrics.registry.makeDurationHistogram(
                descriptor: ServiceMetrics.httpRequestDuration, labels: [("method", method), ("route", route)],
                buckets: ServiceMetrics.durationBuckets)
            known[method] = made
            return made
        }
        timer.recordNanoseconds(duration.nanoseconds)
    }
}
