import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport
import TapedeckRecording

/// Retention with organizations: a room's policy, else its organization's, else the global default.
@Suite("Retention of organizations' rooms")
struct OrganizationRetentionTests {
    static let day: TimeInterval = 86_400

    /// The app's dependencies with a default of 30 days, and an organization `school` keeping 5.
    static func schoolKeepingFiveDays(_ app: TestApp, _ client: any TestClientProtocol) async throws -> AppDependencies {
        var dependencies = app.dependencies
        dependencies.defaultPolicy = RecordingPolicy(retainDays: 30)
        let created = try await client.execute(
            uri: "/v1/organizations", method: .post, headers: app.authorization + [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"slug": "school", "name": "School", "retain_days": 5}"#))
        #expect(created.status == .created)
        return dependencies
    }

    @Test("the organization's days replace the default; a room's own policy replaces both", arguments: TestDatabase.all)
    func precedence(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let dependencies = try await Self.schoolKeepingFiveDays(app, client)
            let plain = try await Fixtures.recording(app.catalog, room: "plain")
            let inherits = try await Fixtures.recording(app.catalog, room: "school-math")
            let own = try await Fixtures.recording(app.catalog, room: "school-art")
            for room in ["school-math", "school-art"] {
                let put = try await client.execute(
                    uri: "/v1/rooms/\(room)", method: .put, headers: app.authorization + [.contentType: "application/json"],
                    body: ByteBuffer(string: #"{"organization": "school"}"#))
                #expect(put.status == .ok)
            }
            let policy = try await client.execute(
                uri: "/v1/rooms/school-art/policy", method: .put, headers: app.authorization + [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"retain_days": 60}"#))
            #expect(policy.status == .ok)

            func due() async throws -> Set<UUID> { Set(try await RetentionReport.run(dependencies.recording, dryRun: true).lines.map(\.id)) }
            app.clock.advance(by: 5 * Self.day + 1)
            #expect(try await due() == [inherits.id])
            app.clock.advance(by: 25 * Self.day)
            #expect(try await due() == [inherits.id, plain.id])
            app.clock.advance(by: 30 * Self.day)
            #expect(try await due() == [inherits.id, plain.id, own.id])
        }
    }

    /// A sweep reads each page of candidates with its rooms' organizations in one statement: on a
    /// catalog of 50,000 rooms, a lookup per room made every daily pass 50,000 statements more,
    /// beside the traffic it ran with.
    @Test("a pass costs a statement per page, however many rooms and organizations", arguments: TestDatabase.all)
    func statementsDoNotGrowWithRooms(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let dependencies = try await Self.schoolKeepingFiveDays(app, client)
            var inSchool: Set<UUID> = []
            for index in 0..<24 {
                let room = index % 2 == 0 ? "school-\(index)" : "plain-\(index)"
                let recording = try await Fixtures.recording(app.catalog, room: room)
                if index % 2 == 0 {
                    let put = try await client.execute(
                        uri: "/v1/rooms/\(room)", method: .put, headers: app.authorization + [.contentType: "application/json"],
                        body: ByteBuffer(string: #"{"organization": "school"}"#))
                    #expect(put.status == .ok)
                    inSchool.insert(recording.id)
                }
            }
            app.clock.advance(by: 5 * Self.day + 1)
            let timings = RequestTimings()
            let outcome = try await RequestTimings.$current.withValue(timings) {
                try await RetentionReport.run(dependencies.recording, dryRun: true)
            }
            #expect(Set(outcome.lines.map(\.id)) == inSchool, "the organization's 5 days, the default's 30 for the others")
            // The shortest retention of the organizations, the rooms' stored policies, one page of
            // recordings and one of sessions holding cues; then the report sums the assets of each
            // due recording whose size is not recorded (these fixtures' are not).
            #expect(timings.statements == 4 + outcome.lines.count, "\(timings.statements) statements for 24 rooms")
        }
    }

    /// Generated catalogs: a default, organizations and rooms' own policies each with or without
    /// `retain_days` (some rooms' unreadable), recordings finished or not, on hold or not, ended
    /// before or long after they were created (an import). What a pass finds due must be exactly
    /// what reading every recording's own policy finds due: the pass reads only what the shortest
    /// retention could make due, and that must never leave one out.
    @Test("a pass finds due exactly what each recording's own policy makes due", arguments: TestDatabase.all)
    func generatedCatalogs(database: TestDatabase) async throws {
        var random = SeededRandom(seed: 0x5EED_0017)
        for round in 0..<12 {
            let seed = random.next()
            try await TestApp.with(database) { app, client in
                var random = SeededRandom(seed: seed)
                var dependencies = app.dependencies
                let day: Int64 = 86_400_000
                dependencies.defaultPolicy = RecordingPolicy(retainDays: [nil, 1, 7, 30].randomElement(using: &random)!)
                var organizations: [String: Int?] = [:]
                for slug in ["alpha", "beta"] {
                    let days = [nil, 3, 10, 60].randomElement(using: &random)!
                    let body = days.map { #"{"slug": "\#(slug)", "name": "N", "retain_days": \#($0)}"# }
                        ?? #"{"slug": "\#(slug)", "name": "N"}"#
                    let created = try await client.execute(
                        uri: "/v1/organizations", method: .post, headers: app.authorization + [.contentType: "application/json"],
                        body: ByteBuffer(string: body))
                    #expect(created.status == .created)
                    organizations[slug] = days
                }
                let policies = [nil, #"{"retain_days": 2}"#, #"{"retain_days": 45}"#, #"{"retain_days": null}"#, #"{"retain_days": 1"#]
                var recordings: [UUID: (room: String, policy: String?, organization: String?)] = [:]
                let rooms = (0..<6).map { "room-\(round)-\($0)" }
                var roomSetup: [String: (policy: String?, organization: String?)] = [:]
                for room in rooms {
                    roomSetup[room] = (policies.randomElement(using: &random)!, [nil, "alpha", "beta"].randomElement(using: &random)!)
                }
                let now = app.clock.now().millisecondsSince1970
                var active: Set<String> = []
                for index in 0..<18 {
                    let room = rooms.randomElement(using: &random)!
                    var status: RecordingStatus = [.ready, .ready, .failed, .aborted, .recording].randomElement(using: &random)!
                    if status == .recording, !active.insert(room).inserted { status = .ready }  // one active per room
                    let recording = try await Fixtures.recording(app.catalog, room: room, status: status)
                    // Imported recordings were created lately and may have ended long before.
                    let imported = index % 3 == 2
                    let created = now - Int64.random(in: 0...((imported ? 1 : 100) * day), using: &random)
                    let ended: Int64? = switch index % 3 {
                    case 0: nil
                    case 1: created + Int64.random(in: 0...day, using: &random)
                    default: now - Int64.random(in: 0...(100 * day), using: &random)
                    }
                    try await app.catalog.database.sql.raw("""
                        UPDATE recordings SET created_at = \(bind: created), ended_at = \(bind: ended),
                            on_hold = \(bind: Int.random(in: 0..<6, using: &random) == 0) WHERE id = \(bind: recording.id)
                        """).run()
                    recordings[recording.id] = (room, roomSetup[room]!.policy, roomSetup[room]!.organization)
                }
                for (room, setup) in roomSetup {
                    try await app.catalog.database.sql.raw(
                        "UPDATE rooms SET policy_json = \(bind: setup.policy) WHERE name = \(bind: room)").run()
                    if let slug = setup.organization {
                        try await app.catalog.database.sql.raw("""
                            UPDATE rooms SET organization_id = (SELECT id FROM organizations WHERE slug = \(bind: slug))
                            WHERE name = \(bind: room)
                            """).run()
                    }
                }

                // The oracle: every recording against its own room's policy.
                var expected: Set<UUID> = []
                var expectedSkipped: [String: Int] = [:]
                for (id, setup) in recordings {
                    let recording = try #require(try await app.catalog.pool.recordings.find(id: id))
                    var defaults = dependencies.defaultPolicy
                    if let slug = setup.organization, let days = organizations[slug] ?? nil { defaults.retainDays = days }
                    guard let policy = try? StoredPolicy.resolve(setup.policy, room: setup.room, defaults: defaults) else {
                        if Retention.deletable.contains(recording.status), !recording.onHold { expectedSkipped[setup.room, default: 0] += 1 }
                        continue
                    }
                    if Retention.isDue(
                        status: recording.status, endedAt: recording.endedAt, createdAt: recording.createdAt,
                        retainDays: policy.retainDays, onHold: recording.onHold, now: app.clock.now())
                    {
                        expected.insert(id)
                    }
                }
                let outcome = try await RetentionReport.run(dependencies.recording, dryRun: true)
                #expect(Set(outcome.lines.map(\.id)) == expected, "round \(round), seed \(seed)")
                #expect(outcome.lines.count == expected.count, "each once")
                let skipped = Dictionary(uniqueKeysWithValues: outcome.skipped.map { ($0.room, $0.recordings) })
                #expect(skipped == expectedSkipped, "round \(round), seed \(seed)")
            }
        }
    }
}
