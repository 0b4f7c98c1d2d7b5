import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TapedeckCore
@testable import TapedeckServer
import TapedeckStore
import TestSupport
@testable import TapedeckRecording

@Suite("HTTP behaviour: authentication, errors, limits, request ids")
struct HTTPBehaviourTests {
    @Test("bad credentials are 401 with a JSON error", arguments: [
        nil, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "tdk_abc", "Bearer not-a-key",
        "Bearer tdk_AAAAAAAAAAAA_" + String(repeating: "B", count: 40),
    ] as [String?])
    func unauthorized(header: String?) async throws {
        try await TestApp.with(.sqlite) { app, client in
            var headers: HTTPFields = [:]
            if let header { headers[.authorization] = header }
            let response = try await client.execute(uri: "/v1/recordings", method: .get, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.errorCode == "unauthorized")
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test("a key revoked elsewhere stops working at this instance's next refresh", arguments: TestDatabase.all)
    func revoked(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let before = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect(before.status == .ok)
            let key = try #require(try await app.catalog.pool.apiKeys.list().first)
            #expect(key.lastUsedAt != nil, "last_used_at is recorded")
            // As `tapedeck keys revoke` or another instance would: straight in the catalog.
            _ = try await app.catalog.pool.apiKeys.revoke(id: key.id)
            try await app.dependencies.verifiedKeys.refresh(from: app.catalog)
            let after = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect(after.status == .unauthorized)
            #expect(app.dependencies.verifiedKeys.count == 0)
        }
    }

    @Test("without refreshes, a verified key is trusted for 5 s at most, then asked about again", arguments: TestDatabase.all)
    func verificationAges(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            #expect(try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization).status == .ok)
            let key = try #require(try await app.catalog.pool.apiKeys.list().first)
            _ = try await app.catalog.pool.apiKeys.revoke(id: key.id)
            // Within the refresh interval the instance has not heard of the revocation yet.
            app.clock.advance(by: 1)
            #expect(try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization).status == .ok)
            // Past the maximum age (the refreshes failed, say), the catalog is asked and refuses.
            app.clock.advance(by: 4.5)
            #expect(try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization).status == .unauthorized)
            // A clock set back cannot stretch a verification either.
            app.clock.advance(by: -60)
            #expect(try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization).status == .unauthorized)
        }
    }

    @Test("a verified key costs no statement; a wrong secret with its lookup is still refused", arguments: TestDatabase.all)
    func verifiedKeysSkipTheCatalog(database: TestDatabase) async throws {
        try await TestApp.with(database, settingValues: ["TAPEDECK_SERVER_TIMING": "true"]) { app, client in
            func statements() async throws -> (HTTPResponse.Status, Int) {
                let response = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
                return (response.status, ServerTimingTests.statements(response))
            }
            let (firstStatus, first) = try await statements()
            let (secondStatus, second) = try await statements()
            #expect(firstStatus == .ok && secondStatus == .ok)
            // The first request looked the key up and noted its use; the second ran the page alone.
            #expect(first >= 2 && second == 1, "statements: \(first) then \(second)")
            let credential = try #require(APIKeyCredential.parse(app.adminKey))
            let forged = APIKeyCredential(lookup: credential.lookup, secret: String(repeating: "A", count: APIKeyCredential.secretLength))
            let refused = try await client.execute(
                uri: "/v1/recordings", method: .get, headers: [.authorization: "Bearer \(forged.token)"])
            #expect(refused.status == .unauthorized)
            // Used keys get their `last_used_at` from the refresh, not from each request.
            app.clock.advance(by: 120)
            #expect(try await statements().0 == .ok)
            try await app.dependencies.verifiedKeys.refresh(from: app.catalog)
            let key = try #require(try await app.catalog.pool.apiKeys.list().first)
            #expect(key.lastUsedAt?.millisecondsSince1970 == app.clock.now().millisecondsSince1970)
        }
    }

    @Test("deleting an organization refuses its keys at once on the instance that deleted it", arguments: TestDatabase.all)
    func deletedOrganizationsKeys(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let json: HTTPFields = app.authorization + [.contentType: "application/json"]
            let organization = try await client.execute(
                uri: "/v1/organizations", method: .post, headers: json, body: ByteBuffer(string: #"{"slug": "gone", "name": "Gone"}"#))
            let id = try #require(organization.object["id"] as? String)
            let key = try await client.execute(
                uri: "/v1/organizations/\(id)/keys", method: .post, headers: json, body: ByteBuffer(string: #"{"name": "tenant"}"#))
            let tenant: HTTPFields = [.authorization: "Bearer \(try #require(key.object["key"] as? String))"]
            #expect(try await client.execute(uri: "/v1/recordings", method: .get, headers: tenant).status == .ok)
            let deleted = try await client.execute(uri: "/v1/organizations/\(id)", method: .delete, headers: app.authorization)
            #expect(deleted.status == .noContent)
            #expect(try await client.execute(uri: "/v1/recordings", method: .get, headers: tenant).status == .unauthorized)
        }
    }

    @Test func unknownRouteIsJSON404() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let response = try await client.execute(uri: "/nope", method: .get)
            #expect(response.status == .notFound)
            #expect(response.errorCode == "not_found")
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        }
    }

    @Test func unsupportedMethodOnAKnownPathIs405() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let response = try await client.execute(uri: "/v1/recordings/\(UUID())", method: .put, headers: app.authorization)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "DELETE, GET, HEAD, PATCH")
            #expect(response.errorCode == "method_not_allowed")
            let head = try await client.execute(uri: "/healthz", method: .head)
            #expect(head.status == .ok)
        }
    }

    @Test func oversizeBodyIs413() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: 5000)
            var headers = app.authorization
            headers[.contentType] = "application/json"
            let response = try await client.execute(uri: "/v1/recordings", method: .get, headers: headers, body: body)
            #expect(response.status == .contentTooLarge)
            #expect(response.errorCode == "payload_too_large")
        }
    }

    @Test func requestIDsAreAssignedOrEchoed() async throws {
        try await TestApp.with(.sqlite) { app, client in
            let assigned = try await client.execute(uri: "/healthz", method: .get)
            let id = try #require(assigned.headers[HTTPField.Name("X-Request-Id")!])
            #expect(id.count == 16)
            let echoed = try await client.execute(
                uri: "/v1/recordings", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "abc-123"])
            #expect(echoed.status == .unauthorized)
            #expect(echoed.headers[HTTPField.Name("X-Request-Id")!] == "abc-123", "errors carry the id too")
            let unsafe = try await client.execute(
                uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "bad id\u{7f}"])
            #expect(unsafe.headers[HTTPField.Name("X-Request-Id")!] != "bad id\u{7f}")
        }
    }

    @Test("decoding failures name the field")
    func decodingErrors() throws {
        struct Inner: Decodable { var count: Int }
        struct Body: Decodable {
            var name: String
            var items: [Inner]
        }
        func failure(_ json: String) -> APIError? {
            let result = Result { try JSONDecoder().decode(Body.self, from: Data(json.utf8)) }
            guard case .failure(let error) = result, let decoding = error as? DecodingError else { return nil }
            return APIError.from(decoding)
        }
        #expect(failure(#"{"items":[]}"#) == .invalid("name", "name is required", code: "missing_field"))
        #expect(failure(#"{"name":5,"items":[]}"#)?.field == "name")
        #expect(failure(#"{"name":"x","items":[{"count":"many"}]}"#)?.field == "items[0].count")
        #expect(failure(#"{"name":null,"items":[]}"#)?.message == "name must be a string, not null")
        #expect(failure("{not json")?.code == "invalid_json")
        #expect(failure("{not json")?.status == .badRequest)
    }
}
