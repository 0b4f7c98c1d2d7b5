/// Which statements each pooled connection runs prepared.
///
/// A connection prepares a statement the first time it runs it, up to `capacity` statements;
/// beyond that, others run unnamed on it (a backend keeps every statement it prepared, with its
/// plan, until the connection closes, and so does PostgresNIO's record of them, so nothing is
/// ever given up to make room). A statement that cannot run prepared there any more runs unnamed
/// on that connection from then on; it still counts, as the backend may still hold it. Pure
/// bookkeeping: the caller runs the statements and says when a connection closed.
struct PreparedStatementTable {
    let capacity: Int
    /// Per connection: each statement it prepared, and whether PostgreSQL has refused it since.
    private var connections: [Int: [String: Bool]] = [:]

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    enum Admission: Equatable {
        /// Run it prepared; `newConnection` when this is the connection's first statement (so
        /// the caller watches for its closing), `firstRun` when it is this statement's first run
        /// there (it is prepared now, and a failure may be the preparation's).
        case prepared(newConnection: Bool, firstRun: Bool)
        case unnamed
    }

    /// How `sql` runs on `connection`; admitting it when there is room.
    mutating func admit(_ sql: String, on connection: Int) -> Admission {
        let statements = connections[connection]
        if let refused = statements?[sql] { return refused ? .unnamed : .prepared(newConnection: false, firstRun: false) }
        guard (statements?.count ?? 0) < capacity else { return .unnamed }
        connections[connection, default: [:]][sql] = false
        return .prepared(newConnection: statements == nil, firstRun: true)
    }

    /// `sql` cannot run prepared on `connection` any more (its preparation failed, a migration
    /// changed a column it returns, or the statement was deallocated or its name taken behind
    /// the pool's back).
    mutating func refused(_ sql: String, on connection: Int) {
        if connections[connection]?[sql] != nil { connections[connection]![sql] = true }
    }

    /// Forgets what `connection` held: it closed, and its statements with it.
    mutating func closed(_ connection: Int) {
        connections[connection] = nil
    }

    func count(on connection: Int) -> Int { connections[connection]?.count ?? 0 }

    var connectionCount: Int { connections.count }

    var total: Int { connections.values.reduce(0) { $0 + $1.count } }
}
