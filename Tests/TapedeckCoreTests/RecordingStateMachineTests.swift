import Testing
import TapedeckCore

@Suite("Recording state machine")
struct RecordingStateMachineTests {
    /// The expected decision for every (from, to) pair, written out by hand rather than derived
    /// from the implementation: A = apply, I = ignore, R = reject.
    /// Columns (to): scheduled starting recording stopping processing ready failed aborted deleted
    static let table: [RecordingStatus: String] = [
        .scheduled: "I A A A A A A A A",
        .starting: "I I A A A A A A R",
        .recording: "I I I A A A A A R",
        .stopping: "I I I I A A A A R",
        .processing: "I I I I I A A A R",
        .ready: "I I I I I I R R A",
        .failed: "I I I I I R I R A",
        .aborted: "I I I I I R R I A",
        .deleted: "R R R R R R R R I",
    ]

    static let order: [RecordingStatus] = [
        .scheduled, .starting, .recording, .stopping, .processing, .ready, .failed, .aborted, .deleted,
    ]

    @Test("every pair of states", arguments: RecordingStatus.allCases)
    func everyPair(from: RecordingStatus) {
        // setup
        let row = Self.table[from]!.split(separator: " ")
        #expect(row.count == 9)
        for (index, to) in Self.order.enumerated() {
            // action
            let decision = RecordingStateMachine.decide(from: from, to: to)
            // check
            switch row[index] {
            case "A": #expect(decision == .apply, "\(from) → \(to)")
            case "I":
                guard case .ignore = decision else {
                    Issue.record("\(from) → \(to): expected ignore, got \(decision)")
                    continue
                }
            case "R":
                guard case .reject = decision else {
                    Issue.record("\(from) → \(to): expected reject, got \(decision)")
                    continue
                }
            default: Issue.record("bad table entry")
            }
        }
    }

    @Test("a late event can never move a recording backwards")
    func monotonic() {
        // Walk every sequence of three requested states and check the resulting state never regresses.
        let rank: [RecordingStatus: Int] = [
            .scheduled: 0, .starting: 1, .recording: 2, .stopping: 3, .processing: 4, .ready: 5, .failed: 5,
            .aborted: 5, .deleted: 6,
        ]
        for a in RecordingStatus.allCases {
            for b in RecordingStatus.allCases {
                for c in RecordingStatus.allCases {
                    var current = RecordingStatus.starting
                    for next in [a, b, c] {
                        if RecordingStateMachine.decide(from: current, to: next) == .apply {
                            #expect(rank[next]! >= rank[current]!, "\(current) → \(next)")
                            current = next
                        }
                    }
                }
            }
        }
    }

    @Test func activeAndFinalSets() {
        #expect(RecordingStatus.active == [.scheduled, .starting, .recording, .stopping])
        #expect(RecordingStatus.allCases.filter(\.isFinal) == [.ready, .failed, .aborted, .deleted])
    }
}
