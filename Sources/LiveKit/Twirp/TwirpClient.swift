import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Retries: how many attempts, and the backoff between them (with jitter).
public struct LiveKitRetryPolicy: Sendable {
    public var attempts: Int
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(attempts: Int = 4, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(3)) {
        self.attempts = attempts
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    func delay(afterAttempt attempt: Int) -> Duration {
        let base = initialDelay * Int(pow(2.0, Double(min(attempt - 1, 16))))
        let capped = min(base, maximumDelay)
        return capped * Double.random(in: 0.5...1.0)
    }
}

/// JSON Twirp over AsyncHTTPClient: `POST {url}/twirp/livekit.{Service}/{Method}` with a fresh
/// bearer token carrying the call's grant.
public struct TwirpClient: Sendable {
    public let baseURL: String
    let minter: AccessTokenMinter
    let http: HTTPClient
    let clock: @Sendable () -> Date
    public var timeout: TimeAmount
    public var retry: LiveKitRetryPolicy
    /// Called just before each request is sent (for latency measurement and tests).
    var onSend: (@Sendable (String) -> Void)?

    public init(
        url: String, credentials: LiveKitCredentials, http: HTTPClient, timeout: TimeAmount = .seconds(10),
        retry: LiveKitRetryPolicy = LiveKitRetryPolicy(), clock: @escaping @Sendable () -> Date = Date.init
    ) {
        var base = url
        // LiveKit URLs are often given as the client's ws(s):// URL; the API is the same host over http(s).
        if base.hasPrefix("wss://") { base = "https://" + base.dropFirst(6) }
        if base.hasPrefix("ws://") { base = "http://" + base.dropFirst(5) }
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.minter = AccessTokenMinter(credentials: credentials)
        self.http = http
        self.clock = clock
        self.timeout = timeout
        self.retry = retry
    }

    /// Calls a method and returns the response body as protobuf JSON.
    public func call<Request: Encodable>(
        service: String, method: String, request: Request, grant: VideoGrant
    ) async throws -> ProtoJSON {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = ByteBuffer(data: try encoder.encode(request))
        let url = "\(baseURL)/twirp/livekit.\(service)/\(method)"
        var attempt = 0
        while true {
            attempt += 1
            var http = HTTPClientRequest(url: url)
            http.method = .POST
            http.headers.add(name: "Authorization", value: "Bearer \(try minter.token(grant, now: clock()))")
            http.headers.add(name: "Content-Type", value: "application/json")
            http.body = .bytes(body)
            let outcome: Result<ProtoJSON, any Error>
            do {
                onSend?(method)
                let response = try await self.http.execute(http, timeout: timeout)
                let data = Data(buffer: try await response.body.collect(upTo: 8 << 20))
                let status = Int(response.status.code)
                if (200..<300).contains(status) {
                    guard let json = ProtoJSON(data: data) else {
                        throw TwirpError(code: "malformed", message: "response is not a JSON object", httpStatus: status)
                    }
                    return json
                }
                outcome = .failure(TwirpError.from(status: status, body: data))
            } catch let error as TwirpError {
                outcome = .failure(error)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                outcome = .failure(LiveKitUnreachable(url: baseURL, underlying: "\(error)"))
            }
            guard case .failure(let error) = outcome else { continue }
            let retryable = (error as? TwirpError)?.isRetryable ?? true
            guard retryable, attempt < retry.attempts else { throw error }
            try await Task.sleep(for: retry.delay(afterAttempt: attempt))
        }
    }
}
