import Foundation
import TapedeckStore

/// The cluster as this instance sees it, read at scrape time: which instance it is, how many
/// are alive, and who holds each periodic task (so an alert can fire when nobody does).
enum ClusterMetrics {
    static func render(catalog: Catalog, instance: InstanceRecord?) async -> [UInt8] {
        var lines: [String] = []
        if let instance {
            lines += [
                "# HELP tapedeck_instance_info This process among the instances sharing the catalog.",
                "# TYPE tapedeck_instance_info gauge",
                "tapedeck_instance_info{instance=\"\(label(instance.id))\",role=\"\(label(instance.role))\",version=\"\(label(instance.version))\"} 1",
            ]
        }
        let now = catalog.clock.now()
        if let alive = try? await catalog.pool.instances.seen(since: now.addingTimeInterval(-60)) {
            lines += [
                "# HELP tapedeck_instances_alive Instances that sent a heartbeat in the last minute.",
                "# TYPE tapedeck_instances_alive gauge",
                "tapedeck_instances_alive \(alive.count)",
            ]
        }
        if let leases = try? await catalog.pool.taskLeases.list() {
            lines += [
                "# HELP tapedeck_periodic_task_holder 1 for the instance holding a periodic task's lease now.",
                "# TYPE tapedeck_periodic_task_holder gauge",
            ]
            for lease in leases where lease.leaseUntil > now {
                lines.append("tapedeck_periodic_task_holder{task=\"\(label(lease.name))\",instance=\"\(label(lease.holder))\"} 1")
            }
            lines += [
                "# HELP tapedeck_periodic_task_last_started_seconds When a periodic task last started, on any instance.",
                "# TYPE tapedeck_periodic_task_last_started_seconds gauge",
            ]
            for lease in leases {
                if let started = lease.lastStartedAt {
                    lines.append("tapedeck_periodic_task_last_started_seconds{task=\"\(label(lease.name))\"} \(Int64(started.timeIntervalSince1970))")
                }
            }
        }
        return Array((lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")).utf8)
    }

    /// A Prometheus label value: backslash, quote and newline escaped.
    static func label(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
