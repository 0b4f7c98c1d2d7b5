import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

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

    /// `{"error": {"code", "message", "field"?}}`
    var body: ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        bytes.append(contentsOf: #"{"error":{"code":"#.utf8)
        Self.appendString(code, to: &bytes)
        bytes.append(contentsOf: #","message":"#.utf8)
        Self.appendString(message, to: &bytes)
        if let field {
            bytes.append(contentsOf: #","field":"#.utf8)
            Self.appendString(field, to: &bytes)
        }
        bytes.append(contentsOf: "}}".utf8)
        return ByteBuffer(bytes: bytes)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string, escaped as the application's JSON writer does.
    private static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [92, 92])
            case 0x0A: bytes.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
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
