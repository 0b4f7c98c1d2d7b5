import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Catalog migrations")
struct MigrationTests {
    @Test("apply, report, revert and re-apply", arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        let scratch = try await ScratchDatabase.create(database)
        let db = try CatalogDatabase.open(scratch.location, logger: TestLogger.make())
        defer { Task { await db.close(); await scratch.drop() } }
        let migrator = CatalogMigrator(db)

        // A fresh database has everything pending.
        #expect(try await migrator.status().allSatisfy { !$0.isApplied })

        let applied = try await migrator.apply()
        #expect(applied == CatalogMigrations.names)
        #expect(try await migrator.status().allSatisfy { $0.batch == 1 })
        #expect(try await migrator.apply().isEmpty, "applying twice changes nothing")

        // Every table exists and accepts a query.
        for table in ["rooms", "sessions", "participants", "recordings", "assets", "events", "inbound_events", "jobs",
            "shares", "api_keys", "cues"]
        {
            _ = try await db.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()
        }

        let reverted = try await migrator.revertLastBatch()
        #expect(Set(reverted) == Set(CatalogMigrations.names))
        #expect(try await migrator.status().allSatisfy { !$0.isApplied })
        await #expect(throws: (any Error).self) {
            try await db.sql.raw("SELECT COUNT(*) AS n FROM recordings").first()
        }

        #expect(try await migrator.apply() == CatalogMigrations.names)
    }

    /// The migrations name the statuses literally; one added to the enum needs a migration that
    /// widens the CHECK, or recordings in it could not be written.
    @Test("every status a recording can have is allowed by the schema", arguments: TestDatabase.all)
    func everyStatusIsAllowed(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            for status in RecordingStatus.allCases {
                let recording = try await Fixtures.recording(catalog, room: "status-\(status.rawValue)", status: status)
                #expect(recording.status == status)
            }
        }
    }

    @Test("migration names are stable and numbered")
    func names() {
        let names = CatalogMigrations.names
        #expect(names.count == Set(names).count)
        // Numbered in increasing order from 0001; a number may be held for a migration added later.
        let numbers = names.map { name in Int(name.prefix(4)).flatMap { name.dropFirst(4).first == "_" ? $0 : nil } }
        #expect(numbers.allSatisfy { $0 != nil }, "\(names)")
        #expect(numbers.first == 1)
        #expect(zip(numbers, numbers.dropFirst()).allSatisfy { ($0 ?? 0) < ($1 ?? 0) }, "\(names)")
    }
}
