import Foundation

/// When and how a room records.
public struct RecordingPolicy: Codable, Sendable, Equatable {
    public enum StartRule: String, Codable, Sendable, CaseIterable {
        /// When the first person joins.
        case always
        /// When a host joins.
        case whenHostJoins = "when_host_joins"
        /// Only through the API.
        case manual
    }

    public enum StopRule: String, Codable, Sendable, CaseIterable {
        /// When the last person leaves.
        case roomEmpty = "room_empty"
        /// When the last host leaves.
        case hostLeft = "host_left"
        /// When the room ends.
        case roomFinished = "room_finished"
    }

    public enum Output: String, Codable, Sendable, CaseIterable {
        case hls, mp4
    }

    /// Who is emailed a personal link when a recording is ready.
    public enum Notify: String, Codable, Sendable, CaseIterable {
        /// The invitees of the room and of the recording, and the session's participants whose
        /// email is known (from the viewer tokens minted for them).
        case participants
        /// The invitees of the room and of the recording.
        case invitees
        case none
    }

    public var start: StartRule
    public var stop: StopRule
    /// Recordings are stopped after this long; `nil` for no limit.
    public var maxDurationS: Int?
    public var layout: String
    public var audioOnly: Bool
    public var outputs: [Output]
    public var segmentDurationS: Int
    /// An encoding preset name (`H264_720P_30`, ...); `nil` for LiveKit's default.
    public var preset: String?
    /// Identities that are hosts in this room.
    public var hosts: [String]
    /// A participant whose `role` attribute (or metadata field) is one of these is a host.
    public var hostRoles: [String]
    /// Recordings are deleted this many days after they end; `nil` keeps them.
    public var retainDays: Int?
    /// Who gets an email with a personal link when a recording is ready.
    public var notify: Notify = .invitees
    /// How long an emailed personal link works.
    public var inviteLinkTTLS: Int = Self.defaultInviteLinkTTLS

    public static let defaultInviteLinkTTLS = 14 * 86_400

    public init(
        start: StartRule = .always, stop: StopRule = .roomEmpty, maxDurationS: Int? = nil, layout: String = "grid",
        audioOnly: Bool = false, outputs: [Output] = [.hls, .mp4], segmentDurationS: Int = 6, preset: String? = nil,
        hosts: [String] = [], hostRoles: [String] = ["host"], retainDays: Int? = nil, notify: Notify = .invitees,
        inviteLinkTTLS: Int = Self.defaultInviteLinkTTLS
    ) {
        self.notify = notify
        self.inviteLinkTTLS = inviteLinkTTLS
        self.start = start
        self.stop = stop
        self.maxDurationS = maxDurationS
        self.layout = layout
        self.audioOnly = audioOnly
        self.outputs = outputs
        self.segmentDurationS = segmentDurationS
        self.preset = preset
        self.hosts = hosts
        self.hostRoles = hostRoles
        self.retainDays = retainDays
    }

    public static let layouts = ["grid", "speaker", "single-speaker", "grid-light", "speaker-light", "single-speaker-light"]
    public static let presets = [
        "H264_720P_30", "H264_720P_60", "H264_1080P_30", "H264_1080P_60", "PORTRAIT_H264_720P_30",
        "PORTRAIT_H264_720P_60", "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60",
    ]

    enum CodingKeys: String, CodingKey {
        case start, stop, maxDurationS = "max_duration_s", layout, audioOnly = "audio_only", outputs
        case segmentDurationS = "segment_duration_s", preset, hosts, hostRoles = "host_roles", retainDays = "retain_days"
        case notify, inviteLinkTTLS = "invite_link_ttl_s"
    }

    /// Decodes a policy; absent fields take their value from `defaults`.
    public static func decode(_ data: Data, defaults: RecordingPolicy) throws -> RecordingPolicy {
        let partial = try JSONDecoder().decode(PartialPolicy.self, from: data)
        return partial.applied(to: defaults)
    }

    /// The first problem with the policy, naming the field.
    public func validationError() -> (field: String, message: String)? {
        if let maxDurationS, !(10...(7 * 86_400)).contains(maxDurationS) {
            return ("max_duration_s", "max_duration_s must be from 10 to 604800 seconds, or null for no limit")
        }
        if !Self.layouts.contains(layout) {
            return ("layout", "layout must be one of \(Self.layouts.joined(separator: ", "))")
        }
        if outputs.isEmpty || Set(outputs).count != outputs.count {
            return ("outputs", "outputs must list hls, mp4 or both, once each")
        }
        if !(1...30).contains(segmentDurationS) {
            return ("segment_duration_s", "segment_duration_s must be from 1 to 30")
        }
        if let preset, !Self.presets.contains(preset) {
            return ("preset", "preset must be one of \(Self.presets.joined(separator: ", "))")
        }
        if hosts.count > 1000 || hosts.contains(where: { $0.isEmpty || $0.unicodeScalars.count > 256 }) {
            return ("hosts", "hosts must be at most 1000 non-empty identities of up to 256 characters")
        }
        if hostRoles.count > 50 || hostRoles.contains(where: { $0.isEmpty || $0.unicodeScalars.count > 64 }) {
            return ("host_roles", "host_roles must be at most 50 non-empty names of up to 64 characters")
        }
        if let retainDays, !(1...36_500).contains(retainDays) {
            return ("retain_days", "retain_days must be from 1 to 36500, or null to keep recordings")
        }
        if !(3600...(366 * 86_400)).contains(inviteLinkTTLS) {
            return ("invite_link_ttl_s", "invite_link_ttl_s must be from 3600 to 31622400 seconds")
        }
        return nil
    }

    /// Every field, `null` included: a stored policy's explicit "no limit" or "keep forever" must
    /// not fall back to the default when it is read again.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(stop, forKey: .stop)
        try c.encode(maxDurationS, forKey: .maxDurationS)
        try c.encode(layout, forKey: .layout)
        try c.encode(audioOnly, forKey: .audioOnly)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(segmentDurationS, forKey: .segmentDurationS)
        try c.encode(preset, forKey: .preset)
        try c.encode(hosts, forKey: .hosts)
        try c.encode(hostRoles, forKey: .hostRoles)
        try c.encode(retainDays, forKey: .retainDays)
        try c.encode(notify, forKey: .notify)
        try c.encode(inviteLinkTTLS, forKey: .inviteLinkTTLS)
    }

    public func encodedJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}

/// A policy with every field optional, for partial input; `null` for the nullable fields clears them.
struct PartialPolicy: Decodable {
    var start: RecordingPolicy.StartRule?
    var stop: RecordingPolicy.StopRule?
    var maxDurationS: Int??
    var layout: String?
    var audioOnly: Bool?
    var outputs: [RecordingPolicy.Output]?
    var segmentDurationS: Int?
    var preset: String??
    var hosts: [String]?
    var hostRoles: [String]?
    var retainDays: Int??
    var notify: RecordingPolicy.Notify?
    var inviteLinkTTLS: Int?

    typealias CodingKeys = RecordingPolicy.CodingKeys

    init(from decoder: any Decoder) throws {
        // A misspelt field would otherwise be silently ignored and the default applied.
        try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        start = try Self.nonNull(RecordingPolicy.StartRule.self, .start, in: c)
        stop = try Self.nonNull(RecordingPolicy.StopRule.self, .stop, in: c)
        maxDurationS = c.contains(.maxDurationS) ? .some(try c.decodeIfPresent(Int.self, forKey: .maxDurationS)) : nil
        layout = try Self.nonNull(String.self, .layout, in: c)
        audioOnly = try Self.nonNull(Bool.self, .audioOnly, in: c)
        outputs = try Self.nonNull([RecordingPolicy.Output].self, .outputs, in: c)
        segmentDurationS = try Self.nonNull(Int.self, .segmentDurationS, in: c)
        preset = c.contains(.preset) ? .some(try c.decodeIfPresent(String.self, forKey: .preset)) : nil
        hosts = try Self.nonNull([String].self, .hosts, in: c)
        hostRoles = try Self.nonNull([String].self, .hostRoles, in: c)
        retainDays = c.contains(.retainDays) ? .some(try c.decodeIfPresent(Int.self, forKey: .retainDays)) : nil
        notify = try Self.nonNull(RecordingPolicy.Notify.self, .notify, in: c)
        inviteLinkTTLS = try Self.nonNull(Int.self, .inviteLinkTTLS, in: c)
    }

    /// A field that cannot be null: absent means "the default", an explicit null is an error.
    static func nonNull<T: Decodable>(_ type: T.Type, _ key: CodingKeys, in c: KeyedDecodingContainer<CodingKeys>) throws -> T? {
        guard c.contains(key) else { return nil }
        if try c.decodeNil(forKey: key) {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: c.codingPath + [key], debugDescription: "\(key.stringValue) cannot be null"))
        }
        return try c.decode(type, forKey: key)
    }

    func applied(to base: RecordingPolicy) -> RecordingPolicy {
        var policy = base
        if let start { policy.start = start }
        if let stop { policy.stop = stop }
        if let maxDurationS { policy.maxDurationS = maxDurationS }
        if let layout { policy.layout = layout }
        if let audioOnly { policy.audioOnly = audioOnly }
        if let outputs { policy.outputs = outputs }
        if let segmentDurationS { policy.segmentDurationS = segmentDurationS }
        if let preset { policy.preset = preset }
        if let hosts { policy.hosts = hosts }
        if let hostRoles { policy.hostRoles = hostRoles }
        if let retainDays { policy.retainDays = retainDays }
        if let notify { policy.notify = notify }
        if let inviteLinkTTLS { policy.inviteLinkTTLS = inviteLinkTTLS }
        return policy
    }
}

/// Any key of a JSON object, to find the ones a type does not know.
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }

    /// Throws for the first key of the object at `decoder` that `Keys` does not have.
    public static func rejectUnknown<Keys: CodingKey>(_ decoder: any Decoder, allowed: Keys.Type) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        if let unknown = container.allKeys.first(where: { Keys(stringValue: $0.stringValue) == nil }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath + [unknown], debugDescription: "unknown field \(unknown.stringValue)"))
        }
    }
}
