import Foundation
import SQLKit
import TapedeckCore

/// An asset about to be recorded.
public struct NewAsset: Sendable, Equatable {
    public var recordingID: UUID
    public var kind: AssetKind
    public var key: String
    public var contentType: String
    public var sizeBytes: Int64?
    public var durationMs: Int64?
    public var sha256: String?

    public init(
        recordingID: UUID, kind: AssetKind, key: String, contentType: String, sizeBytes: Int64? = nil,
        durationMs: Int64? = nil, sha256: String? = nil
    ) {
        self.recordingID = recordingID
        self.kind = kind
        self.key = key
        self.contentType = contentType
        self.sizeBytes = sizeBytes
        self.durationMs = durationMs
        self.sha256 = sha256
    }
}

public struct AssetRepository: Sendable {
    let session: CatalogSession

    /// Records an asset; recording the same key twice updates it instead of duplicating it,
    /// so a job that runs again after a crash converges.
    @discardableResult
    public func upsert(_ asset: NewAsset) async throws -> Asset {
        let row = try await session.sql.raw(
            """
            INSERT INTO assets (recording_id, kind, key, content_type, size_bytes, duration_ms, sha256, created_at)
            VALUES (\(bind: asset.recordingID), \(bind: asset.kind.rawValue), \(bind: asset.key),
                \(bind: asset.contentType), \(bind: asset.sizeBytes), \(bind: asset.durationMs), \(bind: asset.sha256),
                \(bind: session.nowMs))
            ON CONFLICT (recording_id, key) DO UPDATE SET kind = excluded.kind, content_type = excluded.content_type,
                size_bytes = excluded.size_bytes, duration_ms = excluded.duration_ms, sha256 = excluded.sha256
            RETURNING *
            """
        ).first()
        guard let row else { throw CatalogDataError(description: "asset upsert returned nothing") }
        return try Self.decode(row)
    }

    public func list(recordingID: UUID) async throws -> [Asset] {
        try await session.sql.raw("SELECT * FROM assets WHERE recording_id = \(bind: recordingID) ORDER BY id")
            .all().compactMap(Self.decodeKnown)
    }

    /// Assets of several recordings in one query, grouped by recording.
    public func list(recordingIDs: [UUID]) async throws -> [UUID: [Asset]] {
        guard !recordingIDs.isEmpty else { return [:] }
        let query: SQLQueryString = "SELECT * FROM assets WHERE recording_id IN (\(binds: recordingIDs)) ORDER BY id"
        let assets: [Asset]
        if let rows = try await session.postgresRows(query) {
            assets = try rows.compactMap { try Self.decodeKnown(columns: $0) }
        } else {
            assets = try await session.sql.raw(query).all().compactMap(Self.decodeKnown)
        }
        return Dictionary(grouping: assets, by: \.recordingID)
    }

    /// Whether a recording other than `recordingID` names `key` (an object is never shared).
    public func isNamed(_ key: String, byOtherThan recordingID: UUID) async throws -> Bool {
        try await session.sql.raw(
            "SELECT 1 FROM assets WHERE key = \(bind: key) AND recording_id <> \(bind: recordingID) LIMIT 1"
        ).first() != nil
    }

    /// Removes the recording's other assets of `kind` (a file replaced by a newer copy under a
    /// new key); returns their keys, whose objects the caller deletes once this commits.
    public func deleteOthers(recordingID: UUID, kind: AssetKind, keeping key: String) async throws -> [String] {
        try await session.sql.raw(
            """
            DELETE FROM assets WHERE recording_id = \(bind: recordingID) AND kind = \(bind: kind.rawValue) AND key <> \(bind: key)
            RETURNING key
            """
        ).all().map { try $0.decode(column: "key", as: String.self) }
    }

    public func deleteAll(recordingID: UUID) async throws {
        try await session.sql.raw("DELETE FROM assets WHERE recording_id = \(bind: recordingID)").run()
    }

    /// An asset of a kind this release knows, or nil: during a rolling restart a newer release
    /// may already store kinds this one has never heard of, and its recordings must still list.
    static func decodeKnown(_ row: any SQLRow) throws -> Asset? { try decodeKnown(columns: SQLKitColumns(row: row)) }

    /// The columns of `a`, an alias of assets joined to another table, each named
    /// `asset_<column>` so that none clashes with the other table's (read by ``decodeJoined(columns:)``).
    static let joinedSelectList: SQLQueryString = """
        a.id AS asset_id, a.recording_id AS asset_recording_id, a.kind AS asset_kind, a.key AS asset_key,
            a.content_type AS asset_content_type, a.size_bytes AS asset_size_bytes, a.duration_ms AS asset_duration_ms,
            a.sha256 AS asset_sha256, a.created_at AS asset_created_at
        """

    /// The asset of a row selected with ``joinedSelectList``; `nil` when there is none (an outer
    /// join's NULLs) or its kind is unknown to this version, as for ``decodeKnown(columns:)``.
    static func decodeJoined(columns row: some RowColumns) throws -> Asset? {
        guard try row.optionalInt64("asset_id") != nil else { return nil }
        return try decodeKnown(columns: PrefixedColumns(base: row, prefix: "asset_"))
    }

    static func decodeKnown(columns row: some RowColumns) throws -> Asset? {
        guard AssetKind(rawValue: try row.string("kind")) != nil else { return nil }
        return try decode(columns: row)
    }

    static func decode(_ row: any SQLRow) throws -> Asset { try decode(columns: SQLKitColumns(row: row)) }

    static func decode(columns row: some RowColumns) throws -> Asset {
        let rawKind = try row.string("kind")
        guard let kind = AssetKind(rawValue: rawKind) else {
            throw CatalogDataError(description: "unknown asset kind \(rawKind)")
        }
        return Asset(
            id: try row.int64("id"), recordingID: try row.uuid("recording_id"), kind: kind, key: try row.string("key"),
            contentType: try row.string("content_type"), sizeBytes: try row.optionalInt64("size_bytes"),
            durationMs: try row.optionalInt64("duration_ms"), sha256: try row.optionalString("sha256"),
            createdAt: try row.date("created_at"))
    }
}
