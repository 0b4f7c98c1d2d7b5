import Foundation

/// One row of the audit log: a state change, an access, an administrative action.
public struct AuditEvent: Sendable, Equatable {
    public var id: Int64
    public var recordingID: UUID?
    public var sessionID: UUID?
    public var type: String
    /// Who caused it: `api_key:<id>`, `viewer:<identity>`, `share:<id>`, `livekit`, `system`, ...
    public var actor: String
    /// Event-specific details as a JSON object.
    public var dataJSON: String
    public var at: Date

    public init(
        id: Int64, recordingID: UUID?, sessionID: UUID?, type: String, actor: String, dataJSON: String, at: Date
    ) {
        self.id = id
        self.recordingID = recordingID
        self.sessionID = sessionID
        self.type = type
        self.actor = actor
        self.dataJSON = dataJSON
        self.at = at
    }
}

/// An event about to be written; the catalog assigns its id and time.
public struct NewAuditEvent: Sendable, Equatable {
    public var recordingID: UUID?
    public var sessionID: UUID?
    public var type: String
    public var actor: String
    public var data: [String: String]

    public init(
        recordingID: UUID? = nil, sessionID: UUID? = nil, type: String, actor: String, data: [String: String] = [:]
    ) {
        self.recordingID = recordingID
        self.sessionID = sessionID
        self.type = type
        self.actor = actor
        self.data = data
    }

    /// The details as a JSON object with sorted keys, so equal events serialize equally.
    public var dataJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(data), as: UTF8.self)) ?? "{}"
    }
}
