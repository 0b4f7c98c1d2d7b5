import Foundation
import HTTPTypes
import Hummingbird
import Synchronization
import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// `POST /v1/recordings/{id}/access-requests {"email"}`: "send me a link". Anyone may ask; the
/// answer is the same 202 whether or not the address is invited, the recording exists or is
/// ready: the request only queues ``AccessRequestJob`` (the same work every time), and the job
/// decides whether a link is sent. Rate-limited per address and per client IP (429 with
/// `Retry-After`), so the list can be neither probed nor used to flood an inbox.
struct AccessRequestsController {
    let scheduler: JobScheduler
    let limiter: AccessRequestLimiter
    let clientIP: @Sendable (Request, TapedeckRequestContext) -> String
    let maxBody: Int

    static let answer = "If this address is invited to the recording, a link is on its way."

    func register(public router: Router<TapedeckRequestContext>) {
        router.post("/v1/recordings/{id}/access-requests", use: create)
    }

    struct Body: Decodable {
        var email: String
        enum CodingKeys: String, CodingKey { case email }
        init(from decoder: any Decoder) throws {
            try AnyCodingKey.rejectUnknown(decoder, allowed: CodingKeys.self)
            email = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .email)
        }
    }

    struct Accepted: JSONRepresentable {
        func write(to json: inout JSONWriter) {
            json.object { json in
                json.member("status", "accepted")
                json.member("message", AccessRequestsController.answer)
            }
        }
    }

    @Sendable func create(_ request: Request, context: TapedeckRequestContext) async throws -> JSONResponse<Accepted> {
        let id = try context.uuidParameter("id")
        let body = try await request.decodeJSON(as: Body.self, limit: maxBody)
        try await ask(recordingID: id, email: body.email, ip: clientIP(request, context))
        return JSONResponse(Accepted(), status: .accepted)
    }

    /// What the API and the recording page's form both do: check, count, queue.
    func ask(recordingID: UUID, email: String, ip: String) async throws {
        if let problem = EmailAddress.problem(email) { throw APIError.invalid("email", problem) }
        if let wait = limiter.admit(email: EmailAddress.normalize(email), ip: ip) {
            throw APIError(
                .tooManyRequests, code: "too_many_requests", message: "too many link requests; try again in \(wait) s",
                headers: [.retryAfter: String(wait)])
        }
        try await scheduler.enqueue(try AccessRequestJob.newJob(recordingID: recordingID, email: email))
    }
}

/// Link requests counted per address and per client IP in fixed windows, in this process's
/// memory (several instances each count their own share of the requests).
final class AccessRequestLimiter: Sendable {
    struct Limits: Sendable {
        var perEmail = 3
        var perIP = 20
        var window: TimeInterval = 3600
    }

    private let limits: Limits
    private let clock: any Clock
    private let windows = Mutex<[String: (start: Date, count: Int)]>([:])

    init(limits: Limits = Limits(), clock: any Clock) {
        self.limits = limits
        self.clock = clock
    }

    /// `nil` when the request may go ahead (it is counted); otherwise the seconds to wait.
    /// Both counters must admit it; a refused request is not counted.
    func admit(email: String, ip: String) -> Int? {
        let now = clock.now()
        return windows.withLock { windows in
            if windows.count > 100_000 { windows = windows.filter { now.timeIntervalSince($0.value.start) < limits.window } }
            let keys = [("email:" + email, limits.perEmail), ("ip:" + ip, limits.perIP)]
            var wait = 0
            for (key, limit) in keys {
                if let entry = windows[key], now.timeIntervalSince(entry.start) < limits.window, entry.count >= limit {
                    wait = max(wait, Int((limits.window - now.timeIntervalSince(entry.start)).rounded(.up)))
                }
            }
            guard wait == 0 else { return max(1, wait) }
            for (key, _) in keys {
                if let entry = windows[key], now.timeIntervalSince(entry.start) < limits.window {
                    windows[key] = (entry.start, entry.count + 1)
                } else {
                    windows[key] = (now, 1)
                }
            }
            return nil
        }
    }
}
