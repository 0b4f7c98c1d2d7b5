import ArgumentParser
import Foundation
import TapedeckCore
import TapedeckServer
import TapedeckStore
import TapedeckRecording

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage admin API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key. The key is printed once on standard output; only its hash is stored.")

        @OptionGroup var common: CommonOptions

        @Option(help: "What the key is for (shown in keys list and in the audit log).")
        var name: String

        @Option(help: "Limit the key to this organization (its slug): it sees only that organization's rooms.")
        var org: String?

        func validate() throws {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 100 else {
                throw ValidationError("--name must be 1 to 100 characters")
            }
        }

        func run() async throws {
            try await reportingFailures {
                try await withCatalog(common) { catalog in
                    var organizationID: UUID?
                    if let org {
                        guard let organization = try await catalog.pool.organizations.find(slug: org) else {
                            throw Failure.message("no organization with slug \(org)")
                        }
                        organizationID = organization.id
                    }
                    let (key, credential) = try await catalog.pool.apiKeys.create(
                        name: name.trimmingCharacters(in: .whitespaces), organizationID: organizationID)
                    let limited = org.map { " limited to organization \($0)" } ?? ""
                    FileHandle.standardError.write(
                        Data(
                            "Created API key \"\(key.name)\" (id \(key.id.uuidString.lowercased()))\(limited). Store it now: it is not shown again.\n"
                                .utf8))
                    print(credential.token)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")

        @OptionGroup var common: CommonOptions

        func run() async throws {
            try await reportingFailures {
                try await withCatalog(common) { catalog in
                    let keys = try await catalog.pool.apiKeys.list()
                    if keys.isEmpty {
                        print("No API keys. Create one with: tapedeck keys create --name NAME")
                        return
                    }
                    let slugs = Dictionary(
                        uniqueKeysWithValues: try await catalog.pool.organizations.list().map { ($0.id, $0.slug) })
                    print("ID                                    NAME                 CREATED                   LAST USED                 STATUS")
                    for key in keys {
                        var status = key.revokedAt.map { "revoked \($0.rfc3339)" } ?? "active"
                        if let organizationID = key.organizationID {
                            status += "  org \(slugs[organizationID] ?? organizationID.uuidString.lowercased())"
                        }
                        print(
                            [
                                key.id.uuidString.lowercased(), key.name.padding(toLength: 20, withPad: " ", startingAt: 0),
                                key.createdAt.rfc3339, (key.lastUsedAt?.rfc3339 ?? "never").padding(
                                    toLength: 24, withPad: " ", startingAt: 0), status,
                            ].joined(separator: "  "))
                    }
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key at once.")

        @OptionGroup var common: CommonOptions

        @Argument(help: "The key's id, as shown by keys list.")
        var id: String

        func run() async throws {
            try await reportingFailures {
                guard let uuid = UUID(uuidString: id) else { throw Failure.message("\(id) is not a key id (a UUID)") }
                try await withCatalog(common) { catalog in
                    guard try await catalog.pool.apiKeys.revoke(id: uuid) else {
                        throw Failure.message("no API key with id \(id)")
                    }
                    // Running instances re-read the keys they have verified every 2 s (VerifiedKeys).
                    print("Revoked \(uuid.uuidString.lowercased()). Running instances refuse it within about 2 seconds (5 at most).")
                }
            }
        }
    }
}

/// Opens the (migrated) catalog for an admin command and closes it afterwards.
func withCatalog(_ common: CommonOptions, _ body: (Catalog) async throws -> Void) async throws {
    let settings = try await common.settings()
    let logger = LoggingSetup.bootstrap(settings)
    let catalog: Catalog
    do {
        catalog = try await ServiceBootstrap.openCatalog(settings, logger: logger, migrate: true)
    } catch {
        throw Failure.message("cannot open the catalog (\(settings.database.redactedDescription)): \(error)")
    }
    do {
        try await body(catalog)
    } catch {
        await catalog.database.close()
        throw error
    }
    await catalog.database.close()
}
