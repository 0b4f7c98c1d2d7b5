import Foundation

/// An error answered by a Twirp service: `{"code", "msg", "meta"}` with its HTTP status.
public struct TwirpError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var message: String
    public var httpStatus: Int

    public init(code: String, message: String, httpStatus: Int) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    /// Worth retrying: no egress worker free, throttled, or a transient server failure.
    public var isRetryable: Bool {
        code == "unavailable" || code == "resource_exhausted" || httpStatus == 429
            || (httpStatus >= 500 && httpStatus != 501)
    }

    /// `StopEgress` on an egress that already ended: the goal is reached.
    public var meansAlreadyStopped: Bool {
        code == "failed_precondition"
    }

    public var description: String { "LiveKit answered \(code) (HTTP \(httpStatus)): \(message)" }

    /// Parses an error body; a body that is not Twirp JSON (a proxy's page, a plain-text 401)
    /// still gives a code from the HTTP status.
    static func from(status: Int, body: Data) -> TwirpError {
        if let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any],
            let code = object["code"] as? String
        {
            return TwirpError(code: code, message: object["msg"] as? String ?? "", httpStatus: status)
        }
        let code: String
        switch status {
        case 400: code = "invalid_argument"
        case 401: code = "unauthenticated"
        case 403: code = "permission_denied"
        case 404: code = "not_found"
        case 409: code = "already_exists"
        case 412: code = "failed_precondition"
        case 429: code = "resource_exhausted"
        case 501: code = "unimplemented"
        case 503: code = "unavailable"
        default: code = status >= 500 ? "internal" : "unknown"
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return TwirpError(code: code, message: text, httpStatus: status)
    }
}

/// A LiveKit call that could not be made at all (connection refused, timeout).
public struct LiveKitUnreachable: Error, Sendable, CustomStringConvertible {
    public var url: String
    public var underlying: String
    public var description: String { "cannot reach LiveKit at \(url): \(underlying)" }
}
