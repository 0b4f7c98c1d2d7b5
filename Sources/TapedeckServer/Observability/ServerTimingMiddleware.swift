import Hummingbird
import HTTPTypes
import TapedeckCore

/// Adds `Server-Timing` (``RequestTimings``) to every answer, errors included, when
/// `TAPEDECK_SERVER_TIMING` is on. The total ends when the handler has built its answer: a
/// streamed body (media, long cue tracks) is still being written after it.
struct ServerTimingMiddleware: RouterMiddleware {
    typealias Context = TapedeckRequestContext
    static let header = HTTPField.Name("Server-Timing")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let timings = RequestTimings()
        let start = ContinuousClock.now
        var response = try await RequestTimings.$current.withValue(timings) {
            try await next(request, context)
        }
        response.headers[Self.header] = timings.serverTimingHeader(total: ContinuousClock.now - start)
        return response
    }
}
