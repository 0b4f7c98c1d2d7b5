import Foundation
import PostgresNIO
import SQLKit
import Testing
import TapedeckCore
@testable import TapedeckStore
import TestSupport

/// The listings' statements kept prepared on PostgreSQL's connections (``PreparedStatements``).
@Suite("Prepared statements on PostgreSQL")
struct PreparedStatementsTests {
    /// Runs `body` on one connection of the catalog's pool, with the catalog's statements.
    private func onOneConnection<T: Sendable>(
        _ catalog: Catalog, _ body: @escaping @Sendable (PostgresConnection, PreparedStatements) async throws -> T
    ) async throws -> T {
        let client = try #require(catalog.database.postgres)
        let statements = try #require(catalog.database.preparedStatements)
        return try await client.withConnection { connection in try await body(connection, statements) }
    }

    private func preparedHere(_ connection: PostgresConnection) async throws -> Int {
        let rows = try await connection.query("SELECT count(*) FROM pg_prepared_statements", logger: TestLogger.make())
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return -1
    }

    private func bindings(_ values: Int64...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }

    @Test("a connection prepares at most its share; beyond it statements run unnamed", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func bounded(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            try await onOneConnection(catalog) { connection, statements in
                let shapes = PreparedStatements.perConnection + 9
                for round in 0..<2 {
                    for shape in 0..<shapes {
                        let rows = try await statements.rows("SELECT $1::int8 + \(shape) AS n", bindings(Int64(round)), on: connection)
                        if shape < PreparedStatements.perConnection {
                            #expect(try rows?.map { try $0.decode(Int64.self) } == [Int64(round + shape)])
                        } else {
                            #expect(rows == nil, "no room left: to run unnamed")
                        }
                    }
                }
                #expect(statements.count(on: connection.id) == PreparedStatements.perConnection)
                #expect(try await preparedHere(connection) == PreparedStatements.perConnection)
            }
        }
    }

    @Test("a statement that fails as prepared runs unnamed on that connection from then on", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func refused(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            try await onOneConnection(catalog) { connection, statements in
                let logger = TestLogger.make()
                _ = try await connection.query("CREATE TABLE t (v int4)", logger: logger)
                _ = try await connection.query("INSERT INTO t VALUES (1)", logger: logger)
                let sql = "SELECT v FROM t"
                #expect(try await statements.rows(sql, PostgresBindings(), on: connection)?.count == 1)
                #expect(try await statements.rows(sql, PostgresBindings(), on: connection)?.count == 1)
                // The column's type changes under the cached plan: PostgreSQL refuses it.
                _ = try await connection.query("ALTER TABLE t ALTER COLUMN v TYPE int8", logger: logger)
                #expect(try await statements.rows(sql, PostgresBindings(), on: connection) == nil)
                #expect(try await statements.rows(sql, PostgresBindings(), on: connection) == nil)
                // Deallocated behind its back: the same.
                let other = "SELECT v + 1 AS w FROM t"
                #expect(try await statements.rows(other, PostgresBindings(), on: connection)?.count == 1)
                _ = try await connection.query("DEALLOCATE ALL", logger: logger)
                #expect(try await statements.rows(other, PostgresBindings(), on: connection) == nil)
                // An error of a later run is the caller's, as unnamed; the statement stays prepared.
                let dividing = "SELECT 1 / $1::int8 AS q"
                #expect(try await statements.rows(dividing, bindings(1), on: connection)?.count == 1)
                await #expect(throws: PSQLError.self) {
                    try await statements.rows(dividing, bindings(0), on: connection)
                }
                #expect(try await statements.rows(dividing, bindings(1), on: connection)?.count == 1)
                // A failed first run (its preparation, perhaps) leaves it unnamed there.
                let failingFirst = "SELECT 2 / $1::int8 AS q"
                await #expect(throws: PSQLError.self) {
                    try await statements.rows(failingFirst, bindings(0), on: connection)
                }
                #expect(try await statements.rows(failingFirst, bindings(1), on: connection) == nil)
                // A name already taken on the backend (as behind a pooler): unnamed, not an error.
                let taken = "SELECT 3 AS r"
                _ = try await connection.query(
                    PostgresQuery(unsafeSQL: "PREPARE \(PreparedStatements.name(of: taken)) AS SELECT 4 AS r"), logger: logger)
                #expect(try await statements.rows(taken, PostgresBindings(), on: connection) == nil)
                #expect(statements.count(on: connection.id) == 5)
            }
        }
    }

    @Test("listings by room and position are prepared; their pages are those of unnamed statements", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func listings(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            for index in 0..<9 {
                _ = try await Fixtures.recording(
                    catalog, room: "room-\(index % 3)", status: index % 4 == 0 ? .failed : .ready,
                    assets: index % 2 == 0 ? [(.mp4, "session.mp4")] : [])
            }
            let statements = try #require(catalog.database.preparedStatements)
            let recordings = catalog.pool.recordings
            let filters = [
                RecordingFilter(), RecordingFilter(roomName: "room-1"), RecordingFilter(status: .failed),
                RecordingFilter(roomName: "room-2", status: .ready), RecordingFilter(roomName: "nowhere"),
            ]
            for filter in filters {
                // Beyond PostgreSQL's five custom plans, so the cached generic plan answers too.
                var pages: [[Recording]] = []
                for _ in 0..<8 {
                    var position: RecordingPosition?
                    var all: [Recording] = []
                    repeat {
                        let page = try await recordings.list(filter: filter, after: position, limit: 2)
                        all += page
                        position = page.count == 2 ? page.last.map { RecordingPosition(createdAt: $0.createdAt.millisecondsSince1970, id: $0.id) } : nil
                    } while position != nil
                    pages.append(all)
                }
                #expect(Set(pages.map { $0.map(\.id) }).count == 1, "\(filter)")
                // The same pages as a lookup of every recording by id, filtered here.
                let everything = try await recordings.find(ids: try await catalog.pool.sql.raw("SELECT id FROM recordings").all().map { try $0.uuid("id") })
                let expected = everything.values
                    .filter { filter.roomName == nil || $0.roomName == filter.roomName }
                    .filter { filter.status == nil ? $0.status != .deleted : $0.status == filter.status }
                    .sorted { ($0.createdAt, $0.id.uuidString) > ($1.createdAt, $1.id.uuidString) }
                #expect(pages[0].map(\.id) == expected.map(\.id), "\(filter)")
                #expect(pages[0] == expected, "each with its assets")
            }
            #expect(statements.total > 0, "the listings went through prepared statements")
            // A participant's listing is planned each time: it adds no prepared statement.
            let held = statements.total
            var viewerFilter = RecordingFilter()
            viewerFilter.participantIdentity = "ada"
            #expect(!viewerFilter.picksRowsAlike && RecordingFilter(roomName: "x", status: .ready).picksRowsAlike)
            _ = try await recordings.list(filter: viewerFilter, after: nil, limit: 2)
            #expect(statements.total == held)
        }
    }

    @Test("listings at once on several connections: each page is the one a lone request gets", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func concurrent(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            // A room named by a hostile string among them: its value is bound, not part of the statement.
            let rooms = ["room-a", "room-b", HostileStrings.all.first { $0.contains("'") } ?? "o'brien"]
            for index in 0..<12 {
                _ = try await Fixtures.recording(catalog, room: rooms[index % 3], assets: [(.mp4, "session.mp4")])
            }
            let filters = rooms.map { RecordingFilter(roomName: $0) } + [RecordingFilter(), RecordingFilter(status: .ready)]
            var alone: [[UUID]] = []
            for filter in filters {
                alone.append(try await catalog.pool.recordings.list(filter: filter, after: nil, limit: 3).map(\.id))
            }
            let recordings = catalog.pool.recordings
            try await withThrowingTaskGroup(of: (Int, [UUID]).self) { group in
                for request in 0..<40 {
                    group.addTask {
                        let index = request % filters.count
                        return (index, try await recordings.list(filter: filters[index], after: nil, limit: 3).map(\.id))
                    }
                }
                for try await (index, page) in group {
                    #expect(page == alone[index], "\(filters[index])")
                }
            }
            let statements = try #require(catalog.database.preparedStatements)
            #expect(statements.connectionCount > 1, "the requests spread over several connections")
            // Each connection prepared each statement once at most: three here (by room, whatever
            // its name; the first page; by status).
            #expect(statements.total <= statements.connectionCount * 3)
        }
    }

    @Test("a listing still answers after a migration changed a column it returns", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func listingAfterTypeChange(database: TestDatabase) async throws {
        try await withTestCatalog(database) { original in
            let made = try await Fixtures.recording(original, room: "room-a", assets: [(.mp4, "session.mp4")])
            // One connection, so the listing after each migration meets the statement prepared before it.
            let single = try CatalogDatabase.open(original.database.location, maxConnections: 1, logger: TestLogger.make())
            let catalog = Catalog(database: single, clock: ManualClock())
            for _ in 0..<3 {
                #expect(try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: "room-a"), after: nil, limit: 5).map(\.id) == [made.id])
            }
            #expect(single.preparedStatements?.total == 1)
            // A column added to recordings (read as r.*), then a changed type of one returned.
            for migration in [
                "ALTER TABLE recordings ADD COLUMN added_later text",
                "ALTER TABLE assets ALTER COLUMN content_type TYPE varchar(200)",
            ] {
                try await catalog.pool.sql.raw("\(unsafeRaw: migration)").run()
                for _ in 0..<3 {
                    let listed = try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: "room-a"), after: nil, limit: 5)
                    #expect(listed.map(\.id) == [made.id], "\(migration)")
                    #expect(listed.first?.assets.map(\.contentType) == made.assets.map(\.contentType))
                }
            }
            // Still held, run unnamed on that connection since the first migration.
            #expect(single.preparedStatements?.total == 1)
            await single.close()
        }
    }

    @Test("a closed connection's statements are forgotten", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func closedConnection(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            _ = try await Fixtures.recording(catalog, room: "room-a")
            _ = try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: "room-a"), after: nil, limit: 5)
            let statements = try #require(catalog.database.preparedStatements)
            #expect(statements.connectionCount > 0)
            // Every backend of this database ends (this statement's own too), as when the
            // server restarts.
            _ = try? await catalog.pool.sql.raw(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()").all()
            let deadline = ContinuousClock.now + .seconds(10)
            while statements.connectionCount > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(statements.connectionCount == 0)
            // The pool connects again; the listing is prepared on the new connection.
            var listed: [Recording] = []
            for _ in 0..<20 where listed.isEmpty {
                listed = (try? await catalog.pool.recordings.list(filter: RecordingFilter(roomName: "room-a"), after: nil, limit: 5)) ?? []
            }
            #expect(listed.count == 1)
            #expect(statements.connectionCount == 1, "prepared again on the new connection")
        }
    }

    @Test("off, every listing is planned each time", .requiresPostgres, arguments: TestDatabase.postgresOnly)
    func off(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            _ = try await Fixtures.recording(catalog, room: "room-a")
            let location = catalog.database.location
            let unprepared = try CatalogDatabase.open(location, preparedStatements: false, logger: TestLogger.make())
            #expect(unprepared.preparedStatements == nil)
            let listed = try await Catalog(database: unprepared, clock: ManualClock()).pool.recordings.list(
                filter: RecordingFilter(roomName: "room-a"), after: nil, limit: 5)
            #expect(listed.count == 1)
            let held = try await unprepared.postgres!.withConnection { connection in
                try await preparedHere(connection)
            }
            #expect(held == 0)
            await unprepared.close()
        }
    }
}
