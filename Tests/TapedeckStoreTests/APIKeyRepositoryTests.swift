import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("API key repository")
struct APIKeyRepositoryTests {
    @Test("create, authenticate, revoke", arguments: TestDatabase.all)
    func lifecycle(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let keys = catalog.pool.apiKeys
            let (key, credential) = try await keys.create(name: "backend")
            #expect(key.secretHash == credential.secretHash)
            #expect(key.secretHash != credential.secret, "only the hash is stored")
            let raw = try await catalog.database.sql.raw("SELECT * FROM api_keys").all()
            for row in raw {
                for column in row.allColumns {
                    let value = (try? row.decode(column: column, as: String.self)) ?? ""
                    #expect(!value.contains(credential.secret))
                }
            }

            #expect(try await keys.authenticate(credential)?.id == key.id)
            #expect(try await keys.find(id: key.id)?.lastUsedAt == clock.now())
            // Within the resolution last_used_at is not rewritten; after it, it is.
            clock.advance(by: 30)
            _ = try await keys.authenticate(credential)
            #expect(try await keys.find(id: key.id)?.lastUsedAt == clock.now().addingTimeInterval(-30))
            clock.advance(by: 61)
            _ = try await keys.authenticate(credential)
            #expect(try await keys.find(id: key.id)?.lastUsedAt == clock.now())

            let wrong = APIKeyCredential(lookup: credential.lookup, secret: APIKeyCredential.generate().secret)
            #expect(try await keys.authenticate(wrong) == nil)
            #expect(try await keys.authenticate(APIKeyCredential.generate()) == nil)

            #expect(try await keys.revoke(id: key.id))
            #expect(try await keys.authenticate(credential) == nil)
            #expect(try await keys.revoke(id: UUID()) == false)
            #expect(try await keys.list().map(\.name) == ["backend"])
        }
    }
}
