import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TapedeckRecording
import TapedeckCore

extension Request {
    /// Reads the body (refusing more than `limit` bytes) and decodes it, turning every failure
    /// into a 4xx that names the offending field.
    func decodeJSON<T: Decodable>(as type: T.Type, limit: Int) async throws -> T {
        if let length = headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                message: "send the body as application/json", field: "Content-Type")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        }
        guard buffer.readableBytes > 0 else {
            throw APIError(.badRequest, code: "invalid_json", message: "the request body is empty", field: "body")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.from(error)
        } catch let error as APIError {
            throw error
        }
    }
}

extension APIError {
    /// A decoding failure as "which field, what was wrong".
    static func from(_ error: DecodingError) -> APIError {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let all = keys + (last.map { [$0] } ?? [])
            guard !all.isEmpty else { return "body" }
            return all.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath, key)
            return .invalid(field, "\(field) is required", code: "missing_field")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .invalid(field, "\(field) must be \(describe(type))", code: "invalid_field")
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .invalid(field, "\(field) must be \(describe(type)), not null", code: "invalid_field")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return APIError(.badRequest, code: "invalid_json", message: "the body is not valid JSON", field: "body")
            }
            let field = path(context.codingPath)
            return .invalid(field, "\(field): \(context.debugDescription)", code: "invalid_field")
        @unknown default:
            return APIError(.badRequest, code: "invalid_json", message: "the body could not be read", field: "body")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// A JSON response body, written by the value itself (see ``JSONWriter``).
struct JSONResponse<Value: JSONRepresentable>: ResponseGenerator {
    var value: Value
    var status: HTTPResponse.Status = .ok

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    func makeResponse() -> Response {
        let json = RequestTimings.measure(.encode) {
            var json = JSONWriter()
            value.write(to: &json)
            return json
        }
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }
}
