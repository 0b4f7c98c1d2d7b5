import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckCore

/// Why a media request is refused, answered as `{"error": {"code", "message", "field"?}}` with
/// its HTTP status: the same body the application's API errors have, so an application can
/// turn it into its own error type field for field (``MediaController/register(on:mapError:)``).
public struct MediaError: Error, HTTPResponseError, Equatable {
    public var status: HTTPResponse.Status
    /// Stable, machine-readable: `invalid_signature`, `url_expired`, `share_expired`, ...
    public var code: String
    public var message: String
    /// The request field at fault (`path`, `Range`).
    public var field: String?
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, message: String, field: String? = nil, headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    /// `{"error": {"code", "message", "field"?}}`, written by the application's JSON writer.
    var body: ByteBuffer {
        ByteBuffer(bytes: ErrorBody.json(code: code, message: message, field: field))
    }

    static func notFound(_ what: String) -> MediaError {
        MediaError(.notFound, code: "not_found", message: "\(what) not found")
    }

    static func unavailable(_ message: String, retryAfterSeconds: Int) -> MediaError {
        MediaError(
            .serviceUnavailable, code: "unavailable", message: message,
            headers: [.retryAfter: String(retryAfterSeconds)])
    }

    static let internalError = MediaError(
        .internalServerError, code: "internal", message: "internal error; the request id identifies it in the logs")
}
