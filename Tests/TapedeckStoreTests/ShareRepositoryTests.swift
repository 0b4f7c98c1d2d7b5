import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Share repository")
struct ShareRepositoryTests {
    /// Each concurrent reservation gets its own number in the window, so a limit checked on the
    /// number cannot be passed by racing; a new window starts once the last one is over.
    @Test("passcode tries are numbered atomically per window", arguments: TestDatabase.all)
    func passcodeWindow(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let share = try await catalog.pool.shares.create(
                NewShare(
                    recordingID: recording.id, tokenHash: "t", email: nil, passcodeHash: Passcode.hash("1234"),
                    allowDownload: false, expiresAt: clock.now().addingTimeInterval(600), createdBy: "test"))
            let shares = catalog.pool.shares
            let numbers = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<40 {
                    group.addTask { try #require(try await shares.reservePasscodeAttempt(id: share.id, windowMs: 60_000)).number }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(numbers.sorted() == Array(1...40))
            // A refund gives one back in the same window only.
            let current = try #require(try await shares.reservePasscodeAttempt(id: share.id, windowMs: 60_000))
            #expect(current.number == 41)
            try await shares.refundPasscodeAttempt(id: share.id, current)
            #expect(try await shares.reservePasscodeAttempt(id: share.id, windowMs: 60_000)?.number == 41)
            clock.advance(by: 60)
            let next = try #require(try await shares.reservePasscodeAttempt(id: share.id, windowMs: 60_000))
            #expect(next.number == 1 && next.windowStartedAt == clock.now().millisecondsSince1970)
            try await shares.refundPasscodeAttempt(id: share.id, current)  // an old window's: no effect
            #expect(try await shares.reservePasscodeAttempt(id: share.id, windowMs: 60_000)?.number == 2)
            #expect(try await shares.reservePasscodeAttempt(id: UUID(), windowMs: 60_000) == nil)
        }
    }
}
