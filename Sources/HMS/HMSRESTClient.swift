import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Retries of 429, 5xx and transport failures: how many attempts in all, and the backoff between
/// them (exponential, with jitter). A `Retry-After` in seconds is honoured up to `maximumRetryAfter`.
public struct HMSRetryPolicy: Sendable {
    public var attempts: Int
    public var initialDelay: Duration
    public var maximumDelay: Duration
    public var maximumRetryAfter: Duration

    public init(
        attempts: Int = 4, initialDelay: Duration = .milliseconds(250), maximumDelay: Duration = .seconds(4),
        maximumRetryAfter: Duration = .seconds(30)
    ) {
        self.attempts = max(1, attempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The pause after failed attempt `attempt` (1-based): half to all of `initial · 2^(attempt-1)`, capped.
    public func delay(afterAttempt attempt: Int, retryAfter: Duration? = nil) -> Duration {
        if let retryAfter { return min(max(retryAfter, .zero), maximumRetryAfter) }
        let base = initialDelay * Int(pow(2.0, Double(min(max(attempt - 1, 0), 16))))
        return min(base, maximumDelay) * Double.random(in: 0.5...1.0)
    }
}

/// 100ms' REST API over AsyncHTTPClient, authenticated with cached management tokens.
///
/// A 401 or 403 drops the token and retries once with a fresh one; 429, 5xx and transport
/// failures are retried per ``HMSRetryPolicy``; any other answer is an ``HMSError`` carrying
/// 100ms' `{code, message, details}`.
public struct HMSRESTClient: HMSAPI {
    public static let defaultBaseURL = "https://api.100ms.live/v2"

    public let baseURL: String
    public let tokens: HMSTokenSource
    let http: HTTPClient
    /// The deadline of each HTTP exchange (each retry has its own).
    public var timeout: TimeAmount
    public var retry: HMSRetryPolicy
    /// Items asked for per list page (100ms accepts 10 to 100).
    public var pageSize: Int
    /// How the client waits between retries (replaced by tests).
    var sleep: @Sendable (Duration) async throws -> Void

    public init(
        tokens: HMSTokenSource, http: HTTPClient, baseURL: String = HMSRESTClient.defaultBaseURL,
        timeout: TimeAmount = .seconds(15), retry: HMSRetryPolicy = HMSRetryPolicy(), pageSize: Int = 100,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.tokens = tokens
        self.http = http
        self.timeout = timeout
        self.retry = retry
        self.pageSize = min(max(pageSize, 10), 100)
        self.sleep = sleep
    }

    public init(
        credentials: HMSCredentials, http: HTTPClient, baseURL: String = HMSRESTClient.defaultBaseURL,
        timeout: TimeAmount = .seconds(15), retry: HMSRetryPolicy = HMSRetryPolicy(),
        clock: @escaping @Sendable () -> Date = Date.init
    ) {
        self.init(tokens: HMSTokenSource(credentials: credentials, clock: clock), http: http, baseURL: baseURL, timeout: timeout, retry: retry)
    }

    // MARK: HMSAPI

    public func startRecording(roomID: String, _ request: HMSStartRequest) async throws -> HMSRecording {
        let data = try await send(.POST, "/recordings/room/\(Self.segment(roomID))/start", body: request.body())
        return try Self.read(data, HMSRecording.init(json:))
    }

    public func stopRecordings(roomID: String) async throws -> [HMSRecording] {
        try await roomAction("stop", roomID: roomID)
    }

    public func pauseRecordings(roomID: String) async throws -> [HMSRecording] {
        try await roomAction("pause", roomID: roomID)
    }

    public func resumeRecordings(roomID: String) async throws -> [HMSRecording] {
        try await roomAction("resume", roomID: roomID)
    }

    /// `POST /recordings/room/{room_id}/<action>`, answered with a page of the recordings it touched.
    private func roomAction(_ action: String, roomID: String) async throws -> [HMSRecording] {
        let data = try await send(.POST, "/recordings/room/\(Self.segment(roomID))/\(action)", body: Data("{}".utf8))
        do {
            return try HMSPage.decode(data, item: HMSRecording.init(json:)).page.items
        } catch {
            throw HMSError(status: 200, message: "unreadable answer from 100ms: \(error)")
        }
    }

    public func stopRecording(id: String) async throws -> HMSRecording {
        let data = try await send(.POST, "/recordings/\(Self.segment(id))/stop", body: Data("{}".utf8))
        return try Self.read(data, HMSRecording.init(json:))
    }

    public func recording(id: String) async throws -> HMSRecording {
        try Self.read(try await send(.GET, "/recordings/\(Self.segment(id))"), HMSRecording.init(json:))
    }

    public func recordings(roomID: String?, sessionID: String?, status: String?) async throws -> [HMSRecording] {
        try await all("/recordings", [("room_id", roomID), ("session_id", sessionID), ("status", status)], HMSRecording.init(json:))
    }

    public func assets(roomID: String?, sessionID: String?) async throws -> [HMSAsset] {
        try await all("/recording-assets", [("room_id", roomID), ("session_id", sessionID)], HMSAsset.init(json:))
    }

    public func asset(id: String) async throws -> HMSAsset {
        try Self.read(try await send(.GET, "/recording-assets/\(Self.segment(id))"), HMSAsset.init(json:))
    }

    public func presignedURL(assetID: String, lifetime: Int) async throws -> HMSPresignedURL {
        let path = "/recording-assets/\(Self.segment(assetID))/presigned-url" + Self.query([("presign_duration", String(lifetime))])
        return try Self.read(try await send(.GET, path), HMSPresignedURL.init(json:))
    }

    // MARK: Transport

    /// Every page of a list: `limit`/`start`, the next `start` being the answer's `last`.
    func all<Item: Sendable>(
        _ path: String, _ filters: [(String, String?)], _ item: @escaping (HMSJSON) -> Item?
    ) async throws -> [Item] {
        var items: [Item] = []
        var start: String?
        var seen: Set<String> = []
        while true {
            var parameters = filters
            parameters.append(("limit", String(pageSize)))
            parameters.append(("start", start))
            let data = try await send(.GET, path + Self.query(parameters))
            let result: (page: HMSPage<Item>, rawCount: Int)
            do {
                result = try HMSPage.decode(data, item: item)
            } catch {
                throw HMSError(status: 200, message: "unreadable answer from 100ms: \(error)")
            }
            items += result.page.items
            let limit = result.page.limit ?? pageSize
            guard result.rawCount >= limit, limit > 0, let last = result.page.last, !last.isEmpty,
                seen.insert(last).inserted
            else { return items }
            start = last
        }
    }

    /// One request, with the token and retry rules; the body of a 2xx answer.
    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> Data {
        let url = baseURL + path
        var attempt = 0
        var reauthorized = false
        while true {
            attempt += 1
            let token = tokens.token()
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Accept", value: "application/json")
            if method == .POST {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(data: body ?? Data()))
            }
            var failure: HMSError
            var retryAfter: Duration?
            do {
                let response = try await http.execute(request, timeout: timeout)
                let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
                let status = Int(response.status.code)
                if (200..<300).contains(status) { return data }
                failure = HMSError.from(status: status, body: data)
                if status == 401 || status == 403 {
                    guard !reauthorized else { throw failure }
                    reauthorized = true
                    tokens.invalidate(token)
                    attempt -= 1  // a fresh token is not a retry of a failure
                    continue
                }
                guard status == 429 || status >= 500 else { throw failure }
                retryAfter = response.headers.first(name: "Retry-After").flatMap(Self.retryAfter)
            } catch let error as HMSError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                failure = HMSError(status: 0, message: "100ms did not answer in time (\(method.rawValue) \(path))")
            } catch {
                failure = HMSError(status: 0, message: "could not reach 100ms: \(error)")
            }
            guard attempt < retry.attempts else { throw failure }
            try await sleep(retry.delay(afterAttempt: attempt, retryAfter: retryAfter))
        }
    }

    static func read<Value>(_ data: Data, _ make: (HMSJSON) -> Value?) throws -> Value {
        guard let json = HMSJSON(data: data), let value = make(json) else {
            throw HMSError(status: 200, message: "unreadable answer from 100ms")
        }
        return value
    }

    /// `Retry-After` in seconds (an HTTP date is ignored: the backoff applies).
    static func retryAfter(_ value: String) -> Duration? {
        guard let seconds = Double(value.trimmingCharacters(in: .whitespaces)), seconds.isFinite, seconds >= 0 else {
            return nil
        }
        return .milliseconds(Int64(min(seconds, 86_400) * 1000))
    }

    /// Characters left as they are in a path segment or query value (RFC 3986 unreserved).
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// An id as one path segment: everything but unreserved characters percent-encoded (so `/`,
    /// `?`, `#`, `%` and `..` cannot change the path).
    static func segment(_ id: String) -> String {
        let encoded = id.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
        // "." and ".." are unreserved but would be resolved as dot segments.
        switch encoded {
        case ".": return "%2E"
        case "..": return "%2E%2E"
        default: return encoded
        }
    }

    /// `?a=b&c=d` of the non-nil parameters, values percent-encoded; empty when none.
    static func query(_ parameters: [(String, String?)]) -> String {
        let pairs = parameters.compactMap { name, value in
            value.map { name + "=" + ($0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "") }
        }
        return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
    }
}

extension HMSStartRequest {
    /// The JSON body: only the fields that are set; `transcription` only when modes are given.
    public func body() -> Data {
        var object: [String: Any] = [:]
        if let meetingURL { object["meeting_url"] = meetingURL }
        if width != nil || height != nil {
            var resolution: [String: Any] = [:]
            if let width { resolution["width"] = width }
            if let height { resolution["height"] = height }
            object["resolution"] = resolution
        }
        if let audioOnly { object["audio_only"] = audioOnly }
        if !transcriptModes.isEmpty {
            object["transcription"] = ["enabled": true, "output_modes": transcriptModes] as [String: Any]
        }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
