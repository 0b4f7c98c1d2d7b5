import Foundation
import Logging
import ObjectStorage
import TapedeckCore
import TapedeckStore

#if canImport(Glibc)
    import Glibc
#endif

/// Opens what a process needs from its settings: the catalog (migrated), the object store,
/// metrics. Used by `serve`, `worker` and the admin commands.
public enum ServiceBootstrap {
    public static func openCatalog(_ settings: Settings, logger: Logger, migrate: Bool) async throws -> Catalog {
        let database = try CatalogDatabase.open(settings.database, logger: logger)
        do {
            try await database.configureSession()
            if migrate {
                let applied = try await CatalogMigrator(database).apply()
                if !applied.isEmpty {
                    logger.info("applied migrations", metadata: ["migrations": "\(applied.joined(separator: ", "))"])
                }
            }
        } catch {
            await database.close()
            throw error
        }
        return Catalog(database: database, clock: SystemClock())
    }

    public static func makeStore(_ settings: Settings, logger: Logger) throws -> any ObjectStore {
        let signer = MediaURLSigner(
            secret: try loadOrCreateSecret(
                at: settings.dataDirectory + "/secrets/media-signing.key", setting: "TAPEDECK_DATA_DIR"),
            baseURL: settings.publicURL)
        return LocalDiskStore(
            root: settings.dataDirectory + "/objects", scratch: settings.dataDirectory + "/tmp", signer: signer)
    }

    public static func dependencies(_ settings: Settings, logger: Logger, migrate: Bool) async throws -> AppDependencies {
        let catalog = try await openCatalog(settings, logger: logger, migrate: migrate)
        do {
            let store = try makeStore(settings, logger: logger)
            return AppDependencies(catalog: catalog, store: store, metrics: ServiceMetrics(), logger: logger)
        } catch {
            await catalog.database.close()
            throw error
        }
    }

    /// A 32-byte secret kept in the data directory (mode 0600), created on first use, so the
    /// defaults need no configuration and signed URLs survive restarts.
    static func loadOrCreateSecret(at path: String, setting: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path), data.count >= 32 {
            return Array(data)
        }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SettingsError(setting, "cannot create \(directory): \(error.localizedDescription)")
        }
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(
            atPath: temporary, contents: Data(secret), attributes: [.posixPermissions: 0o600])
        else { throw SettingsError(setting, "cannot write \(path)") }
        // link() fails if another process created the file first; then theirs wins.
        if link(temporary, path) != 0 {
            unlink(temporary)
            guard let data = FileManager.default.contents(atPath: path), data.count >= 32 else {
                throw SettingsError(setting, "cannot create \(path)")
            }
            return Array(data)
        }
        unlink(temporary)
        return secret
    }
}
