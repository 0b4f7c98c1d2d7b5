import Foundation
import PostgresNIO
import SQLKit
import Testing
import TapedeckCore
@testable import TapedeckStore
import TestSupport

/// The listings read PostgreSQL's rows directly (``CatalogSession/postgresRows(_:)``); what they
/// decode must be what SQLKit's path decodes, value for value.
@Suite("Rows read directly from PostgreSQL")
struct PostgresRowsTests {
    @Test("a listing decodes as a lookup by id does: hostile text, NULLs and values alike", arguments: TestDatabase.all)
    func listingMatchesLookup(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            var ids: [UUID] = []
            // PostgreSQL's text cannot hold NUL; the API refuses it before it gets there.
            for (index, hostile) in HostileStrings.all.map({ $0.replacingOccurrences(of: "\u{0}", with: "") }).enumerated() {
                let recording = try await Fixtures.recording(
                    catalog, room: "room-\(index % 7)", status: index % 4 == 0 ? .failed : .ready,
                    assets: index % 3 == 0 ? [] : [(.mp4, "session.mp4"), (.hls, "index.m3u8")])
                let empty = index % 2 == 0
                try await catalog.pool.sql.raw("""
                    UPDATE recordings SET title = \(bind: hostile), error = \(bind: empty ? nil : hostile),
                        duration_ms = \(bind: empty ? nil : Int64(index) * 1000), size_bytes = \(bind: Int64(index) << 33),
                        started_at = \(bind: empty ? nil : Int64(1_700_000_000_000 + index)), on_hold = \(bind: index % 5 == 0)
                    WHERE id = \(bind: recording.id)
                    """).run()
                ids.append(recording.id)
            }
            var listed: [Recording] = []
            var position: RecordingPosition?
            repeat {
                let page = try await catalog.pool.recordings.list(filter: RecordingFilter(), after: position, limit: 16)
                listed += page
                position = page.count == 16 ? page.last.map { RecordingPosition(createdAt: $0.createdAt.millisecondsSince1970, id: $0.id) } : nil
            } while position != nil
            #expect(Set(listed.map(\.id)) == Set(ids))
            for recording in listed {
                let found = try #require(try await catalog.pool.recordings.find(id: recording.id))
                #expect(recording == found)
            }
            let byRoom = try await catalog.pool.recordings.list(filter: RecordingFilter(roomName: "room-3"), after: nil, limit: 100)
            #expect(!byRoom.isEmpty && byRoom.allSatisfy { $0.roomName == "room-3" })
        }
    }

    @Test("PostgreSQL reads directly, on the pool and in a transaction's own connection; SQLite goes through SQLKit", arguments: TestDatabase.all)
    func whereTheDirectPathApplies(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let query: SQLQueryString = "SELECT \(bind: "x") AS text, \(bind: Int64(7)) AS number"
            let pooled = try await catalog.pool.postgresRows(query)
            #expect((pooled != nil) == (catalog.database.kind == .postgres))
            if let pooled {
                #expect(try pooled.map { try $0.string("text") } == ["x"])
                #expect(try pooled.map { try $0.int64("number") } == [7])
            }
            // The transaction's row, not yet committed, is visible only on its own connection.
            let seen = try await catalog.transaction { tx -> [Int64]? in
                _ = try await tx.rooms.findOrCreate(name: "uncommitted", provider: "livekit")
                let query: SQLQueryString = "SELECT COUNT(*) AS n FROM rooms WHERE name = \(bind: "uncommitted")"
                return try await tx.postgresRows(query)?.map { try $0.int64("n") }
            }
            #expect(seen == (catalog.database.kind == .postgres ? [1] : nil))
        }
    }

    @Test func bindsAreTheTypesPostgresKitSends() throws {
        let absent: String? = nil
        let present: Int64? = 5
        let bindings = try #require(PostgresBindings(sqlKitBinds: ["a", Int64(1), 2, true, UUID(), 1.5, absent, present]))
        #expect(bindings.count == 8)
        // Anything else is left to SQLKit rather than guessed.
        #expect(PostgresBindings(sqlKitBinds: [Date()]) == nil)
        #expect(PostgresBindings(sqlKitBinds: [Data([1])]) == nil)
    }
}
