/// Where a recording is in its life.
///
/// `scheduled → starting → recording → stopping → processing → ready`, and the
/// endings `failed`, `aborted`, `deleted`. Stored as text.
public enum RecordingStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case scheduled
    case starting
    case recording
    case stopping
    case processing
    case ready
    case failed
    case aborted
    case deleted

    /// The recorder may still be running: at most one such recording per room.
    public var isActive: Bool {
        switch self {
        case .scheduled, .starting, .recording, .stopping: true
        default: false
        }
    }

    /// No further progress happens by itself (only deletion).
    public var isFinal: Bool {
        switch self {
        case .ready, .failed, .aborted, .deleted: true
        default: false
        }
    }

    public static let active: [RecordingStatus] = allCases.filter(\.isActive)
}
