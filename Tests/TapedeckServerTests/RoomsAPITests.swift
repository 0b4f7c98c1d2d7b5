import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TestSupport

/// Routes that name a room: a name on one provider is that room, as before rooms carried their
/// provider; a name on two is ambiguous until the request says which (409 `ambiguous_room`).
@Suite("Rooms API")
struct RoomsAPITests {
    static let name = HostileStrings.all.first { $0.contains("DROP TABLE") } ?? "'; DROP TABLE recordings; --"
    static let path = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!

    /// A room of `provider` with an open session `identity` took part in.
    static func room(_ app: TestApp, provider: String, participant identity: String) async throws -> Room {
        try await app.catalog.transaction { tx in
            let room = try await tx.rooms.findOrCreate(name: name, provider: provider)
            let session = try await tx.sessions.create(
                roomID: room.id, roomName: name, providerSessionID: "S_\(provider)", startedAt: tx.clock.now())
            try await tx.participants.join(sessionID: session.id, identity: identity, name: nil, isHost: false, at: tx.clock.now())
            return room
        }
    }

    static func viewer(_ client: any TestClientProtocol, _ app: TestApp, _ identity: String) async throws -> HTTPFields {
        let body = ByteBuffer(string: #"{"sub":"\#(identity)"}"#)
        let issued = try await client.execute(uri: "/v1/viewer-tokens", method: .post, headers: app.authorization, body: body)
        return [.authorization: "Bearer \(issued.object["token"] as? String ?? "")"]
    }

    @Test("a name on one provider is that room, whichever provider", arguments: TestDatabase.all)
    func oneProvider(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let room = try await Self.room(app, provider: "100ms", participant: "ada")
            _ = try await app.catalog.pool.rooms.setPolicy(name: Self.name, provider: "100ms", policyJSON: #"{"start":"manual"}"#)
            let policy = try await client.execute(uri: "/v1/rooms/\(Self.path)/policy", method: .get, headers: app.authorization)
            #expect(policy.status == .ok && policy.object["source"] as? String == "room")
            let status = try await client.execute(uri: "/v1/rooms/\(Self.path)/recording-status", method: .get, headers: app.authorization)
            #expect(status.status == .ok && status.object["room"] as? String == Self.name)
            let put = try await client.execute(
                uri: "/v1/rooms/\(Self.path)/policy", method: .put, headers: app.authorization, body: ByteBuffer(string: #"{"retain_days":7}"#))
            #expect(put.status == .ok)
            #expect(try await app.catalog.pool.rooms.all(named: Self.name).map(\.id) == [room.id], "the one room, no second")
            #expect(try await app.catalog.pool.rooms.find(id: room.id)?.policyJSON?.contains("\"retain_days\":7") == true)
        }
    }

    @Test("a policy for a name not seen yet is LiveKit's unless the request names another provider", arguments: TestDatabase.all)
    func newRooms(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let body = ByteBuffer(string: #"{"start":"manual"}"#)
            #expect(try await client.execute(uri: "/v1/rooms/fresh/policy", method: .put, headers: app.authorization, body: body).status == .ok)
            #expect(
                try await client.execute(uri: "/v1/rooms/fresh/policy?provider=100ms", method: .put, headers: app.authorization, body: body)
                    .status == .ok)
            #expect(try await app.catalog.pool.rooms.all(named: "fresh").map(\.provider) == ["100ms", "livekit"])
            let unknown = try await client.execute(uri: "/v1/rooms/fresh/policy?provider=zoom", method: .get, headers: app.authorization)
            #expect(unknown.status == .badRequest && unknown.errorField == "provider")
        }
    }

    @Test("a name on two providers needs the provider, and each route then answers for that room", arguments: TestDatabase.all)
    func twoProviders(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            // setup: the name on LiveKit (ada took part) and on 100ms (bob took part).
            let livekit = try await Self.room(app, provider: "livekit", participant: "ada")
            let hms = try await Self.room(app, provider: "100ms", participant: "bob")
            let policyBody = ByteBuffer(string: #"{"start":"manual"}"#)
            let base = "/v1/rooms/\(Self.path)"

            // Without the provider: 409, naming the field, and nothing written.
            for (uri, method) in [
                (base + "/policy", HTTPRequest.Method.get), (base + "/policy", .put), (base + "/policy", .delete),
                (base + "/recording-status", .get),
            ] {
                let answer = try await client.execute(
                    uri: uri, method: method, headers: app.authorization, body: method == .put ? policyBody : nil)
                #expect(answer.status == .conflict, "\(method) \(uri)")
                #expect(answer.errorCode == "ambiguous_room" && answer.errorField == "provider", "\(method) \(uri)")
            }
            let start = try await client.execute(
                uri: "/v1/recordings", method: .post, headers: app.authorization,
                body: ByteBuffer(data: try JSONEncoder().encode(["room": Self.name])))
            #expect(start.status == .conflict && start.errorCode == "ambiguous_room" && start.errorField == "provider")
            #expect(try await app.catalog.pool.rooms.find(id: livekit.id)?.policyJSON == nil)
            #expect(try await app.catalog.pool.rooms.find(id: hms.id)?.policyJSON == nil)

            // With it: that room, and only that room.
            let put = try await client.execute(
                uri: base + "/policy?provider=100ms", method: .put, headers: app.authorization, body: policyBody)
            #expect(put.status == .ok)
            #expect(try await app.catalog.pool.rooms.find(id: hms.id)?.policyJSON != nil)
            #expect(try await app.catalog.pool.rooms.find(id: livekit.id)?.policyJSON == nil)
            let shown = try await client.execute(uri: base + "/policy?provider=livekit", method: .get, headers: app.authorization)
            #expect(shown.status == .ok && shown.object["source"] as? String == "default")
            let reset = try await client.execute(uri: base + "/policy?provider=100ms", method: .delete, headers: app.authorization)
            #expect(reset.status == .ok)
            #expect(try await app.catalog.pool.rooms.find(id: hms.id)?.policyJSON == nil)

            // A viewer is asked about the rooms she took part in only: one is hers, none is not found.
            let ada = try await client.execute(uri: base + "/recording-status", method: .get, headers: try await Self.viewer(client, app, "ada"))
            #expect(ada.status == .ok && ada.object["room"] as? String == Self.name)
            let eve = try await client.execute(uri: base + "/recording-status", method: .get, headers: try await Self.viewer(client, app, "eve"))
            #expect(eve.status == .notFound)
            // A viewer hosting neither room may not start either, and is told no more.
            let viewerStart = try await client.execute(
                uri: "/v1/recordings", method: .post, headers: try await Self.viewer(client, app, "ada"),
                body: ByteBuffer(data: try JSONEncoder().encode(["room": Self.name])))
            #expect(viewerStart.status == .forbidden && viewerStart.errorCode == "not_a_host")
        }
    }

    @Test("a start naming a room the catalog cannot hold is a 400 before any lookup", arguments: TestDatabase.all)
    func unstorableName(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            for headers in [app.authorization, try await Self.viewer(client, app, "ada")] {
                let answer = try await client.execute(
                    uri: "/v1/recordings", method: .post, headers: headers,
                    body: ByteBuffer(data: try JSONEncoder().encode(["room": "nul\u{0}inside"])))
                #expect(answer.status == .badRequest && answer.errorField == "room", "\(answer.text)")
            }
        }
    }
}
