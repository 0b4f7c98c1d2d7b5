/// What to do with a requested status change.
public enum TransitionDecision: Equatable, Sendable {
    /// Move to the new status and record the transition.
    case apply
    /// Already there, or the request comes from an event older than the current state
    /// (a late `egress_updated` after `complete`): change nothing, succeed quietly.
    case ignore(reason: String)
    /// Not a meaningful change (e.g. reviving a deleted recording): refuse.
    case reject(reason: String)
}

/// The recording state machine: which status changes are allowed.
///
/// Progress is monotonic. Provider events arrive late, twice and out of order, so a
/// request to move "backwards" along the pipeline is ignored rather than applied or
/// treated as an error; skipping ahead is allowed (an `egress_ended` may be the first
/// event Tapedeck sees for an egress).
public enum RecordingStateMachine {
    /// Position along the normal pipeline.
    private static func stage(_ s: RecordingStatus) -> Int {
        switch s {
        case .scheduled: 0
        case .starting: 1
        case .recording: 2
        case .stopping: 3
        case .processing: 4
        case .ready, .failed, .aborted: 5
        case .deleted: 6
        }
    }

    public static func decide(from current: RecordingStatus, to next: RecordingStatus) -> TransitionDecision {
        if current == next {
            return .ignore(reason: "already \(current.rawValue)")
        }
        switch current {
        case .deleted:
            return .reject(reason: "recording is deleted")
        case .ready, .failed, .aborted:
            if next == .deleted { return .apply }
            if next.isFinal {
                return .reject(reason: "recording already ended as \(current.rawValue)")
            }
            return .ignore(reason: "recording already ended as \(current.rawValue)")
        case .scheduled, .starting, .recording, .stopping, .processing:
            if next == .deleted {
                return current == .scheduled
                    ? .apply : .reject(reason: "recording is \(current.rawValue); stop it before deleting")
            }
            if next == .failed || next == .aborted { return .apply }
            if stage(next) > stage(current) { return .apply }
            return .ignore(reason: "stale: \(next.rawValue) is behind \(current.rawValue)")
        }
    }
}
