import Foundation
import Hummingbird
import TapedeckRecording

/// Counts and times every request by its route template (`/v1/recordings/{id}`, never the raw path,
/// which would make one time series per recording).
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = TapedeckRequestContext
    let metrics: ServiceMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordRequest(
            method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
            status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
