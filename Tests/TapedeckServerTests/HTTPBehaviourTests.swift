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

    @Test("a revoked key stops working at once", arguments: TestDatabase.all)
    func revoked(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let before = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect(before.status == .ok)
            let key = try #require(try await app.catalog.pool.apiKeys.list().first)
            #expect(key.lastUsedAt != nil, "last_used_at is recorded")
            _ = try await app.catalog.pool.apiKeys.revoke(id: key.id)
            let after = try await client.execute(uri: "/v1/recordings", method: .get, headers: app.authorization)
            #expect(after.status == .unauthorized)
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
