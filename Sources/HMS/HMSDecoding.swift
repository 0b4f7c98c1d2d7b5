import Foundation

/// Why a 100ms answer or webhook could not be read.
public enum HMSDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    case notJSON
    case missingField(String)

    public var description: String {
        switch self {
        case .notJSON: "the body is not a JSON object"
        case .missingField(let name): "the object has no \(name)"
        }
    }
}

extension HMSRecording {
    /// A recording object; `nil` without an `id`.
    public init?(json: HMSJSON) {
        guard let id = json.string("id"), !id.isEmpty else { return nil }
        self.init(
            id: id, roomID: json.string("room_id") ?? "", sessionID: json.string("session_id"),
            status: Status(json.string("status") ?? ""), meetingURL: json.string("meeting_url"),
            assetTypes: json.strings("asset_types") ?? [],
            assets: json.objects("recording_assets").map { $0.compactMap(HMSAsset.init(json:)) },
            createdAt: json.date("created_at"), startedAt: json.date("started_at"), stoppedAt: json.date("stopped_at"),
            updatedAt: json.date("updated_at"))
        destination = json.string("destination")
        startedBy = json.string("started_by")
        stoppedBy = json.string("stopped_by")
    }

    public static func decode(_ data: Data) throws(HMSDecodeError) -> HMSRecording {
        guard let json = HMSJSON(data: data) else { throw .notJSON }
        guard let recording = HMSRecording(json: json) else { throw .missingField("id") }
        return recording
    }
}

extension HMSRecording.Status {
    /// The name 100ms uses.
    public var rawValue: String {
        switch self {
        case .starting: "starting"
        case .running: "running"
        case .stopping: "stopping"
        case .postProcessing: "post_processing"
        case .completed: "completed"
        case .failed: "failed"
        case .other(let raw): raw
        }
    }
}

extension HMSAsset {
    /// A recording-asset object; `nil` without an `id`. The kind is `type` or, in some answers,
    /// `stream_type`.
    public init?(json: HMSJSON) {
        guard let id = json.string("id"), !id.isEmpty else { return nil }
        let metadata = json.object("metadata")
        self.init(
            id: id, jobID: json.string("job_id"), roomID: json.string("room_id"), sessionID: json.string("session_id"),
            type: json.string("type", "stream_type") ?? "", status: json.string("status") ?? "", path: json.string("path"),
            size: json.int64("size"), duration: json.double("duration"), createdAt: json.date("created_at"),
            outputMode: metadata?.string("output_mode") ?? json.string("output_mode"))
        if let resolution = metadata?.object("resolution") {
            width = resolution.int("width")
            height = resolution.int("height")
        }
    }

    public static func decode(_ data: Data) throws(HMSDecodeError) -> HMSAsset {
        guard let json = HMSJSON(data: data) else { throw .notJSON }
        guard let asset = HMSAsset(json: json) else { throw .missingField("id") }
        return asset
    }
}

extension HMSPresignedURL {
    /// `{id, path, url, expiry}`; `nil` without a `url`.
    public init?(json: HMSJSON) {
        guard let url = json.string("url"), !url.isEmpty else { return nil }
        self.init(id: json.string("id") ?? "", path: json.string("path"), url: url, expiry: json.date("expiry"))
    }

    public static func decode(_ data: Data) throws(HMSDecodeError) -> HMSPresignedURL {
        guard let json = HMSJSON(data: data) else { throw .notJSON }
        guard let value = HMSPresignedURL(json: json) else { throw .missingField("url") }
        return value
    }
}

/// One page of a list answer: `{limit, data: [...], last}`.
public struct HMSPage<Item: Sendable>: Sendable {
    public var items: [Item]
    public var limit: Int?
    /// Where the next page starts (passed as `start`); `nil` or empty at the end.
    public var last: String?

    public init(items: [Item], limit: Int? = nil, last: String? = nil) {
        self.items = items
        self.limit = limit
        self.last = last
    }

    /// Reads a page; items `item` cannot read are skipped, but counted for `rawCount`.
    public static func decode(_ data: Data, item: (HMSJSON) -> Item?) throws(HMSDecodeError) -> (page: HMSPage, rawCount: Int) {
        guard let json = HMSJSON(data: data) else { throw .notJSON }
        let objects = json.objects("data") ?? []
        let last: String? =
            switch json.raw("last") {
            case .string(let text)?: text
            case .integer(let number)?: String(number)
            default: nil
            }
        return (HMSPage(items: objects.compactMap(item), limit: json.int("limit"), last: last), objects.count)
    }
}

extension HMSError {
    /// An error answer: `{code, message, details}` (details strings or objects; strings are kept).
    public static func from(status: Int, body: Data) -> HMSError {
        guard let json = HMSJSON(data: body) else {
            let text = String(decoding: body.prefix(512), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return HMSError(status: status, message: text.isEmpty ? "HTTP \(status)" : text)
        }
        let message = json.string("message", "error", "msg") ?? "HTTP \(status)"
        var details: [String] = []
        details = json.strings("details") ?? []
        return HMSError(status: status, message: message, details: details)
    }
}
