import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckRecording
import TapedeckCore

/// An error answered as `{"error": {"code", "message", "field"?}}` with its HTTP status.
public struct APIError: Error, HTTPResponseError, Equatable {
    public var status: HTTPResponse.Status
    /// Stable, machine-readable: clients switch on it.
    public var code: String
    /// For people: says what was wrong and, where it helps, what to do.
    public var message: String
    /// The request field at fault (`limit`, `body.expires_in`, `id`, ...).
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

    /// `{"error": {"code", "message", "field"?}}`
    var body: ByteBuffer {
        ByteBuffer(bytes: ErrorBody.json(code: code, message: message, field: field))
    }

    // MARK: Common errors

    /// Text that will be stored or searched must not carry control characters (PostgreSQL refuses
    /// NUL outright; the others have no business in names).
    static func requirePlainText(_ value: String?, field: String) throws {
        if let value, value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw invalid(field, "\(field) must not contain control characters")
        }
    }

    public static func invalid(_ field: String, _ message: String, code: String = "invalid_parameter") -> APIError {
        APIError(.badRequest, code: code, message: message, field: field)
    }

    public static func notFound(_ what: String) -> APIError {
        APIError(.notFound, code: "not_found", message: "\(what) not found")
    }

    public static let unauthorized = APIError(
        .unauthorized, code: "unauthorized",
        message: "missing or invalid credentials: send Authorization: Bearer <api key>",
        headers: [.wwwAuthenticate: "Bearer"])

    public static func conflict(_ code: String, _ message: String) -> APIError {
        APIError(.conflict, code: code, message: message)
    }

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            .contentTooLarge, code: "payload_too_large", message: "request body is larger than \(limit) bytes",
            field: "body")
    }

    public static func unavailable(_ message: String, retryAfterSeconds: Int) -> APIError {
        APIError(
            .serviceUnavailable, code: "unavailable", message: message,
            headers: [.retryAfter: String(retryAfterSeconds)])
    }

    public static let internalError = APIError(
        .internalServerError, code: "internal", message: "internal error; the request id identifies it in the logs")
}
