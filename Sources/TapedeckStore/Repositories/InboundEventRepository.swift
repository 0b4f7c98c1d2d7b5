import Foundation
import SQLKit
import TapedeckCore

/// Ids of provider webhooks already applied.
public struct InboundEventRepository: Sendable {
    let session: CatalogSession

    /// Records an event id; `false` when it was seen before (a redelivery: apply nothing).
    public func firstDelivery(provider: String, eventID: String) async throws -> Bool {
        let rows = try await session.frequentRows(
            """
            INSERT INTO inbound_events (provider, event_id, received_at)
            VALUES (\(bind: provider), \(bind: eventID), \(bind: session.nowMs))
            ON CONFLICT (provider, event_id) DO NOTHING
            RETURNING event_id
            """
        )
        return !rows.isEmpty
    }

    /// Forgets ids older than `cutoff` (providers stop redelivering after minutes).
    @discardableResult
    public func prune(before cutoff: Date) async throws -> Int {
        try await session.sql.raw(
            "DELETE FROM inbound_events WHERE received_at < \(bind: cutoff.millisecondsSince1970) RETURNING event_id"
        ).all().count
    }
}
