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

    @Test("the organization's days replace the default; a room's own policy replaces both", arguments: TestDatabase.all)
    func precedence(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            var dependencies = app.dependencies
            dependencies.defaultPolicy = RecordingPolicy(retainDays: 30)
            let created = try await client.execute(
                uri: "/v1/organizations", method: .post, headers: app.authorization + [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"slug": "school", "name": "School", "retain_days": 5}"#))
            #expect(created.status == .created)
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
}
