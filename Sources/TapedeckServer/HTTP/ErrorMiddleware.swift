import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TapedeckRecording

/// Turns every error into the JSON error format, so no route answers with an unstructured body.
///
/// Errors that are not ``APIError`` (a framework 404 or 413, a database failure) are mapped here;
/// anything unexpected becomes a 500 whose details go to the log, never to the client.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = TapedeckRequestContext
    let routes: RouteTable

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var apiError = Self.apiError(for: error)
            if apiError.status == .notFound, context.endpointPath == "NotFound" {
                let allowed = routes.allowedMethods(forPath: request.uri.path)
                if !allowed.isEmpty {
                    apiError = APIError(
                        .methodNotAllowed, code: "method_not_allowed",
                        message: "\(request.method.rawValue) is not supported here; use \(allowed.joined(separator: ", "))",
                        headers: [.allow: allowed.joined(separator: ", ")])
                }
            }
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            return try apiError.response(from: request, context: context)
        }
    }

    static func apiError(for error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            switch error.status {
            case .notFound:
                return APIError(.notFound, code: "not_found", message: "no such route")
            case .methodNotAllowed:
                return APIError(.methodNotAllowed, code: "method_not_allowed", message: "method not allowed here")
            case .contentTooLarge:
                return APIError(.contentTooLarge, code: "payload_too_large", message: "request body is too large")
            case .unsupportedMediaType:
                return APIError(
                    .unsupportedMediaType, code: "unsupported_media_type", message: error.body ?? "unsupported media type")
            case .badRequest:
                return APIError(.badRequest, code: "bad_request", message: error.body ?? "bad request")
            default:
                let code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
                return APIError(error.status, code: code, message: error.body ?? error.status.reasonPhrase)
            }
        case let error as any HTTPResponseError:
            return APIError(error.status, code: "error", message: error.status.reasonPhrase)
        default:
            return .internalError
        }
    }
}
