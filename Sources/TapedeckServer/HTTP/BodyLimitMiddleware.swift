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
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit,
            !Self.hasOwnLimit(request.uri.path)
        {
            throw APIError.payloadTooLarge(limit: limit)
        }
        return try await next(request, context)
    }

    /// Caption files are larger than API bodies: their route caps them itself (10 MB).
    static func hasOwnLimit(_ path: String) -> Bool {
        path.hasPrefix("/v1/recordings/") && path.hasSuffix("/captions")
    }
}
