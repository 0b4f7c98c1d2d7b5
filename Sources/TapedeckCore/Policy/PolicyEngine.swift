import Foundation

/// Who is in a session right now and whether it is being recorded, after the triggering event
/// has been applied.
public struct SessionSnapshot: Sendable, Equatable {
    /// People present (recorders and agents never count).
    public var people: Int
    /// Hosts among them.
    public var hosts: Int
    /// When the active recording started (`nil` when none is active).
    public var activeRecordingStartedAt: Date?
    public var hasActiveRecording: Bool

    public init(people: Int, hosts: Int, hasActiveRecording: Bool, activeRecordingStartedAt: Date? = nil) {
        self.people = people
        self.hosts = hosts
        self.hasActiveRecording = hasActiveRecording
        self.activeRecordingStartedAt = activeRecordingStartedAt
    }
}

/// What just happened in the room.
public enum PolicyTrigger: Sendable, Equatable {
    case roomStarted
    case participantJoined(isHost: Bool)
    case participantLeft(wasHost: Bool)
    case roomFinished
    /// Periodic check (max duration).
    case tick
}

/// What the policy wants done.
public enum PolicyAction: Sendable, Equatable {
    case startRecording
    case stopRecording(reason: String)
}

/// The decision "should this room be recording now?", as a pure function.
public enum PolicyEngine {
    public static func decide(
        policy: RecordingPolicy, snapshot: SessionSnapshot, trigger: PolicyTrigger, now: Date
    ) -> PolicyAction? {
        if snapshot.hasActiveRecording {
            return stopDecision(policy: policy, snapshot: snapshot, trigger: trigger, now: now)
        }
        // Starts happen on arrivals only: a periodic check or a departure never starts a recording.
        guard case .participantJoined = trigger else { return nil }
        switch policy.start {
        case .always: return snapshot.people > 0 ? .startRecording : nil
        case .whenHostJoins: return snapshot.hosts > 0 ? .startRecording : nil
        case .manual: return nil
        }
    }

    private static func stopDecision(
        policy: RecordingPolicy, snapshot: SessionSnapshot, trigger: PolicyTrigger, now: Date
    ) -> PolicyAction? {
        if let limit = policy.maxDurationS, let started = snapshot.activeRecordingStartedAt,
            now.timeIntervalSince(started) >= Double(limit)
        {
            return .stopRecording(reason: "maximum duration of \(limit) s reached")
        }
        switch trigger {
        case .roomFinished:
            // Whatever the rule, a finished room cannot be recorded any longer.
            return .stopRecording(reason: "room finished")
        case .participantLeft(let wasHost):
            switch policy.stop {
            case .roomEmpty where snapshot.people == 0:
                return .stopRecording(reason: "last participant left")
            case .hostLeft where wasHost && snapshot.hosts == 0:
                return .stopRecording(reason: "last host left")
            default:
                return nil
            }
        case .roomStarted, .participantJoined, .tick:
            return nil
        }
    }
}

/// Who counts as a host of a room.
public enum HostRule {
    /// Listed in the policy's `hosts`, or with a `role` (attribute, or field of JSON metadata) in `host_roles`.
    public static func isHost(
        identity: String, attributes: [String: String], metadata: String?, policy: RecordingPolicy
    ) -> Bool {
        if policy.hosts.contains(identity) { return true }
        if let role = attributes["role"], policy.hostRoles.contains(role) { return true }
        if let metadata, let data = metadata.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let role = object["role"] as? String, policy.hostRoles.contains(role)
        {
            return true
        }
        return false
    }
}
