import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TapedeckCore
import TapedeckServer
import TestSupport

@Suite("Server-Timing")
struct ServerTimingTests {
    static let header = HTTPField.Name("Server-Timing")!

    /// `name → (milliseconds, desc)` of a header value, or nil when it is not the documented shape.
    static func parse(_ value: String) -> [String: (ms: Double, desc: String?)]? {
        var metrics: [String: (ms: Double, desc: String?)] = [:]
        for part in value.split(separator: ",") {
            let fields = part.trimmingCharacters(in: .whitespaces).split(separator: ";").map(String.init)
            guard let name = fields.first, fields.count >= 2, fields[1].hasPrefix("dur="),
                let ms = Double(fields[1].dropFirst(4))
            else { return nil }
            let desc = fields.count > 2 && fields[2].hasPrefix("desc=\"") ? String(fields[2].dropFirst(6).dropLast()) : nil
            metrics[name] = (ms, desc)
        }
        return metrics
    }

    /// How many statements the answer's header counts (0 without the header).
    static func statements(_ response: TestResponse) -> Int {
        let desc = response.headers[header].flatMap(parse)?["db"]?.desc
        return Int(desc?.split(separator: " ").first ?? "") ?? 0
    }

    /// A ready recording with one asset in each of `rooms`, a second apart, in that order.
    static func recordings(_ app: TestApp, in rooms: [String]) async throws {
        for room in rooms {
            app.clock.advance(by: 1)
            _ = try await Fixtures.recording(app.catalog, room: room, assets: [(.mp4, "session.mp4")])
        }
    }

    @Test("a listing's round trips, its key verified: one statement for the page and its assets; on SQLite the room's ids too", arguments: TestDatabase.all)
    func listingRoundTrips(database: TestDatabase) async throws {
        try await TestApp.with(database, settingValues: ["TAPEDECK_SERVER_TIMING": "true"]) { app, client in
            try await Self.recordings(app, in: ["room-0", "room-1", "room-0", "room-1"])
            _ = try await Fixtures.recording(app.catalog, room: "room-1", provider: "hms")
            let warm = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect(warm.status == .ok)
            // Again and again: on PostgreSQL the listing is prepared, on whichever connection.
            for _ in 0..<6 {
                let firstPage = try await client.execute(uri: "/v1/recordings?limit=2", method: .get, headers: app.authorization)
                #expect(firstPage.status == .ok)
                #expect(Self.statements(firstPage) == 1)
                let byRoom = try await client.execute(uri: "/v1/recordings?room=room-1", method: .get, headers: app.authorization)
                #expect(byRoom.status == .ok)
                #expect((byRoom.object["items"] as? [Any])?.count == 3, "both providers' rooms of that name")
                #expect(Self.statements(byRoom) == (app.catalog.database.kind == .postgres ? 1 : 2))
            }
        }
    }

    @Test("a listing says where its time went: pool, statements, JSON, total", arguments: TestDatabase.all)
    func listingIsBrokenDown(database: TestDatabase) async throws {
        try await TestApp.with(database, settingValues: ["TAPEDECK_SERVER_TIMING": "true"]) { app, client in
            try await Self.recordings(app, in: ["room-0", "room-1", "room-2"])
            let response = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect(response.status == .ok)
            let value = try #require(response.headers[Self.header])
            let metrics = try #require(Self.parse(value), "\(value)")
            #expect(Set(metrics.keys) == ["pool", "db", "encode", "total"])
            // The key's lookup and the page: at least two statements, each timed.
            #expect(Self.statements(response) >= 2, "\(value)")
            #expect((metrics["db"]?.ms ?? 0) > 0)
            #expect((metrics["encode"]?.ms ?? 0) > 0)
            let phases = ["pool", "db", "encode"].compactMap { metrics[$0]?.ms }.reduce(0, +)
            #expect(phases <= (metrics["total"]?.ms ?? 0) + 0.001, "phases do not overlap: \(value)")

            // Errors are timed too.
            let refused = try await client.execute(uri: "/v1/recordings?status=nope", method: .get, headers: app.authorization)
            #expect(refused.status == .badRequest)
            #expect(refused.headers[Self.header].flatMap(Self.parse)?["total"] != nil)
        }
    }

    @Test("off by default: no header, and nothing a request sends reaches it when on")
    func offByDefaultAndClosedToInput() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let response = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect(response.status == .ok)
            #expect(response.headers[Self.header] == nil)
        }
        try await TestApp.with(.sqlite, settingValues: ["TAPEDECK_SERVER_TIMING": "true"]) { app, client in
            for hostile in HostileStrings.all {
                let query = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let response = try await client.execute(
                    uri: "/v1/recordings?room=\(query)", method: .get, headers: app.authorization)
                #expect(response.status.code < 500)
                let value = try #require(response.headers[Self.header])
                #expect(Self.parse(value).map { Set($0.keys) } == ["pool", "db", "encode", "total"], "\(value)")
            }
        }
    }

    @Test func millisecondsHaveMicrosecondResolution() {
        #expect(RequestTimings().serverTimingHeader(total: .microseconds(3_100)).hasSuffix("total;dur=3.100"))
        #expect(RequestTimings().serverTimingHeader(total: .nanoseconds(999)).hasSuffix("total;dur=0.000"))
        #expect(RequestTimings().serverTimingHeader(total: .seconds(2) + .microseconds(45)).hasSuffix("total;dur=2000.045"))
        let timings = RequestTimings()
        timings.add(.db, .microseconds(1_500))
        timings.add(.db, .microseconds(250))
        timings.countStatement()
        timings.countStatement()
        #expect(timings.serverTimingHeader(total: .milliseconds(4)) ==
            "pool;dur=0.000, db;dur=1.750;desc=\"2 statements\", encode;dur=0.000, total;dur=4.000")
    }

    @Test func nothingIsCollectedOutsideARequest() {
        #expect(RequestTimings.current == nil)
        #expect(RequestTimings.measure(.encode) { 42 } == 42)
    }
}
