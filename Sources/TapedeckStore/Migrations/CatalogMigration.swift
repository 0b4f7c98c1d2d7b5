import FluentKit
import SQLKit

/// A catalog migration written as plain SQL for both dialects.
///
/// Migrations are additive and numbered; `name` is stored in `_fluent_migrations` and must
/// never change once released.
protocol CatalogMigration: AsyncMigration {
    /// Statements that create the change, in order.
    func up(_ kind: DatabaseKind) -> [SQLQueryString]
    /// Statements that undo it, in order.
    func down(_ kind: DatabaseKind) -> [SQLQueryString]
}

extension CatalogMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for statement in up(sql.kind) {
            try await sql.raw(statement).run()
        }
    }

    func revert(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        for statement in down(sql.kind) {
            try await sql.raw(statement).run()
        }
    }
}

extension SQLDatabase {
    var kind: DatabaseKind { dialect.name == "postgresql" ? .postgres : .sqlite }
}

/// Every migration, in the order it is applied.
public enum CatalogMigrations {
    static let all: [any Migration] = [
        M0001CreateRooms(),
        M0002CreateSessions(),
        M0003CreateParticipants(),
        M0004CreateRecordings(),
        M0005CreateAssets(),
        M0006CreateEvents(),
        M0007CreateInboundEvents(),
        M0008CreateJobs(),
        M0009CreateShares(),
        M0010CreateAPIKeys(),
        M0011CreateCues(),
        M0012AddRecordingTitle(),
        M0013AddRecordingRequest(),
        M0014AddRecordingHold(),
        M0015CreateWebhooks(),
        M0016CloseImportedSessions(),
        M0017AddSharePasscodeWindow(),
        M0018CreateEndedAdminSessions(),
        M0019AddRoomProviderID(),
        M0020CreateTimedCues(),
        M0021SplitRoomsByProvider(),
        M0022CreateTaskLeases(),
        M0023CreateOrganizations(),
        M0024CreateInvitationsAndEmails(),
        M0025AddCueSearchQueryAndPosterIndexes(),
        M0026AddRecordingPauses(),
    ]

    public static var names: [String] { all.map(\.name) }
}
