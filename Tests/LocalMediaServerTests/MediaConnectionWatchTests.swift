import Testing
@testable import LocalMediaServer

/// When a media connection is closed for not taking its answers or for sitting idle, and how
/// many connections a descriptor limit allows.
@Suite("Media connection watch")
struct MediaConnectionWatchTests {
    let limits = MediaConnectionWatch.Limits(sendTimeout: 3, idleTimeout: 5, shutdownSendTimeout: 1)

    /// Whether the connection stays open after each of these ticks, given what is still buffered.
    func ticks(_ watch: inout MediaConnectionWatch, buffered: [Int64], mayIdle: Bool = false) -> [Bool] {
        buffered.map { watch.tick(buffered: $0, mayIdle: mayIdle) }
    }

    @Test func anAnswerThatStopsLeavingClosesAfterTheSendTimeout() {
        var watch = MediaConnectionWatch(limits: limits)
        watch.wrote(1000)
        // 400 bytes leave, then none for three seconds.
        #expect(ticks(&watch, buffered: [600, 600, 600, 600]) == [true, true, true, false])
    }

    @Test func aSlowClientThatKeepsReadingStays() {
        var watch = MediaConnectionWatch(limits: limits)
        watch.wrote(10_000)
        let draining = ticks(&watch, buffered: Array(stride(from: 9_000, through: 1_000, by: -1_000)))
        #expect(draining.allSatisfy { $0 })
        // A new answer written between ticks is progress too, though the buffer looks the same.
        watch.wrote(500)
        #expect(ticks(&watch, buffered: [1_000]) == [true])
    }

    @Test func atShutdownAStalledAnswerGetsLessTime() {
        var watch = MediaConnectionWatch(limits: limits)
        watch.wrote(100)
        #expect(ticks(&watch, buffered: [100]) == [true])
        watch.quiescing = true
        #expect(ticks(&watch, buffered: [100]) == [false])
    }

    @Test func anIdleConnectionClosesUnlessItReadsOrIsBusy() {
        var watch = MediaConnectionWatch(limits: limits)
        #expect(ticks(&watch, buffered: [0, 0, 0, 0], mayIdle: true) == [true, true, true, true])
        watch.readSinceTick = true  // a request arrived: idle again from zero
        #expect(ticks(&watch, buffered: [0, 0, 0, 0, 0, 0], mayIdle: true) == [true, true, true, true, true, false])

        var busy = MediaConnectionWatch(limits: limits)
        #expect(ticks(&busy, buffered: Array(repeating: 0, count: 10)).allSatisfy { $0 })
    }

    @Test func theConnectionBudgetKeepsDescriptorsForTheRest() {
        let budget = ConnectionBudget(baseline: 40)
        #expect(budget.allowed(limit: 1024) == (1024 - 40 - 64) / 2)
        #expect(budget.allowed(limit: 64) == (64 - 40 - 8) / 2)
        #expect(budget.allowed(limit: 32) == 0)
        #expect(budget.allowed(limit: Int.max) > 1 << 40)
    }
}
