import Testing
@testable import TapedeckStore
import TestSupport

/// The bookkeeping of which statements each connection runs prepared, against an oracle.
@Suite("Prepared statements per connection: the table")
struct PreparedStatementTableTests {
    @Test("generated runs, failures and closings: a connection prepares what it has room for, never a failed one again", arguments: 0..<40)
    func generated(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let capacity = Int.random(in: 1...4, using: &random)
        var table = PreparedStatementTable(capacity: capacity)
        // Per connection, what it prepared (in order) and which of those failed.
        var prepared: [Int: [String]] = [:]
        var failed: [Int: Set<String>] = [:]
        for _ in 0..<300 {
            let connection = Int.random(in: 0..<3, using: &random)
            let sql = "statement \(Int.random(in: 0..<7, using: &random))"
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<7:
                let expected: PreparedStatementTable.Admission
                if prepared[connection]?.contains(sql) == true {
                    expected = failed[connection]?.contains(sql) == true ? .unnamed : .prepared(newConnection: false, firstRun: false)
                } else if (prepared[connection]?.count ?? 0) < capacity {
                    expected = .prepared(newConnection: prepared[connection] == nil, firstRun: true)
                    prepared[connection, default: []].append(sql)
                } else {
                    expected = .unnamed
                }
                #expect(table.admit(sql, on: connection) == expected)
            case 7..<9:
                table.refused(sql, on: connection)
                if prepared[connection]?.contains(sql) == true { failed[connection, default: []].insert(sql) }
            default:
                table.closed(connection)
                prepared[connection] = nil
                failed[connection] = nil
            }
            for connection in 0..<3 {
                #expect(table.count(on: connection) == (prepared[connection]?.count ?? 0))
                #expect(table.count(on: connection) <= capacity)
            }
            #expect(table.connectionCount == prepared.count)
            #expect(table.total == prepared.values.reduce(0) { $0 + $1.count })
        }
    }

    @Test("a connection's first statement is new to it; another connection has room of its own")
    func perConnection() {
        var table = PreparedStatementTable(capacity: 1)
        #expect(table.admit("a", on: 1) == .prepared(newConnection: true, firstRun: true))
        #expect(table.admit("a", on: 1) == .prepared(newConnection: false, firstRun: false))
        #expect(table.admit("b", on: 1) == .unnamed)
        #expect(table.admit("b", on: 2) == .prepared(newConnection: true, firstRun: true))
        table.refused("a", on: 1)
        #expect(table.admit("a", on: 1) == .unnamed)
        #expect(table.admit("b", on: 1) == .unnamed, "the failed one still takes its room")
        table.closed(1)
        #expect(table.admit("a", on: 1) == .prepared(newConnection: true, firstRun: true))
    }
}
