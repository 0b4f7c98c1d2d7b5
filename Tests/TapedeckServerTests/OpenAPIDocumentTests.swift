import Foundation
import HummingbirdTesting
import Testing
import TapedeckServer
import TestSupport
import TapedeckRecording

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    /// Routes that are not part of the JSON API contract (pages, media, webhooks).
    static let outsideContract: Set<String> = [
        "GET /media/**", "HEAD /media/**", "POST /webhooks/livekit", "POST /webhooks/100ms", "GET /recordings/{id}", "GET /s/{token}",
        "POST /s/{token}", "GET /assets/{name}",
        // The player page's own grant renewal and the search page, by the pages' cookies.
        "GET /recordings/{id}/grant", "GET /s/{token}/grant", "GET /search",
    ]

    @Test("every route is documented and every documented operation exists")
    func routesMatchDocument() async throws {
        try await TestApp.with(.sqlite) { app, client in
            // setup
            let response = try await client.execute(uri: "/openapi.json", method: .get)
            #expect(response.status == .ok)
            let document = response.object
            #expect(document["openapi"] as? String == "3.1.0")
            var documented = Set<String>()
            for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
                for method in item.keys where ["get", "put", "post", "delete", "patch", "head"].contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
            // action
            let router = buildRouter(settings: app.settings, dependencies: app.dependencies)
            let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
                .subtracting(Self.outsideContract)
            // check: both ways
            #expect(routed.subtracting(documented).sorted() == [], "routes missing from openapi.json")
            #expect(documented.subtracting(routed).sorted() == [], "documented operations with no route")
        }
    }

    @Test("every operation has an id, responses, and named error responses")
    func operationsAreComplete() async throws {
        try await TestApp.with(.sqlite) { _, client in
            let document = try await client.execute(uri: "/openapi.json", method: .get).object
            for (path, item) in document["paths"] as? [String: [String: Any]] ?? [:] {
                for (method, value) in item {
                    let operation = value as? [String: Any] ?? [:]
                    #expect(operation["operationId"] is String, "\(method) \(path)")
                    let responses = operation["responses"] as? [String: Any] ?? [:]
                    #expect(!responses.isEmpty, "\(method) \(path)")
                    // Routes open to anyone (`security: []`, such as a link request) never answer 401.
                    let isPublic = (operation["security"] as? [Any])?.isEmpty ?? false
                    if path.hasPrefix("/v1/"), !isPublic || path.hasPrefix("/v1/share-links/") {
                        #expect(responses["401"] != nil, "\(method) \(path) documents 401")
                    }
                }
            }
        }
    }
}
