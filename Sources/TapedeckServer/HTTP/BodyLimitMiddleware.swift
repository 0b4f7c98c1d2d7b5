import Hummingbird
import TapedeckRecording

/// Refuses a declared body larger than the configured limit before anything reads it.
/// (Bodies without a length are capped where they are read, see ``Request/decodeJSON(as:limit:)``.)
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = TapedeckRequestContext
    let limit: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }
}
