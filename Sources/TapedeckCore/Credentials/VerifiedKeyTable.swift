import Foundation

/// The API keys one process has verified against the catalog, with when each was last known to
/// be active, so a request on a key in use needs no statement to authenticate.
///
/// Pure bookkeeping (times are passed in); ``VerifiedKeys`` in the server holds it behind a lock
/// and keeps it current. The rules that keep a revoked key from lingering:
/// - An entry answers only while it was verified less than `maximumAge` ago, so a process whose
///   refreshes fail (the catalog is down) goes back to asking the catalog, which then refuses.
/// - The secret is compared with the stored hash on every hit: only the lookup part selects an
///   entry, and a wrong secret with a known lookup is refused as before.
/// - A verification counts from when its statement was sent, not when its answer arrived.
/// - ``forgetAll()`` (a revocation made in this process) also voids every verification still
///   in flight, so an answer read before the revocation cannot bring the key back; so does a
///   refresh that found a key revoked or deleted, for that key.
public struct VerifiedKeyTable: Sendable {
    public struct Entry: Sendable, Equatable {
        public var key: APIKey
        /// When the catalog was last asked and said the key was active (ms since 1970).
        public var verifiedAtMs: Int64
        /// When a request last used it: entries unused for `idleAfterMs` are dropped.
        public var lastHitMs: Int64
        /// Used since the last refresh, so the refresh records `last_used_at`.
        public var usedSinceRefresh: Bool
    }

    public let maximumAgeMs: Int64
    public let idleAfterMs: Int64
    public private(set) var entries: [String: Entry] = [:]
    /// Bumped by ``forgetAll()``; a verification started under another generation is ignored.
    public private(set) var generation = 0
    /// Keys a refresh found revoked or deleted: an older answer arriving later is ignored.
    public private(set) var revoked: Set<UUID> = []

    public init(maximumAgeMs: Int64, idleAfterMs: Int64 = 60_000) {
        self.maximumAgeMs = maximumAgeMs
        self.idleAfterMs = idleAfterMs
    }

    /// The active key this credential belongs to, if an entry verified recently enough says so;
    /// `nil` means "ask the catalog", never "refused".
    public mutating func hit(_ credential: APIKeyCredential, nowMs: Int64) -> APIKey? {
        guard var entry = entries[credential.lookup] else { return nil }
        let age = nowMs - entry.verifiedAtMs
        // A clock stepped backwards makes the entry's age unknowable: it goes, and the answer to
        // the lookup that follows is timed by the clock as it now is.
        guard age >= 0 else {
            entries[credential.lookup] = nil
            return nil
        }
        guard age < maximumAgeMs, entry.key.revokedAt == nil, credential.matches(storedHash: entry.key.secretHash)
        else { return nil }
        entry.lastHitMs = nowMs
        entry.usedSinceRefresh = true
        entries[credential.lookup] = entry
        return entry.key
    }

    /// Keeps `key`, which the catalog reported active in a statement sent at `sentAtMs` under
    /// `generation`. The entry counts from this answer's time even when one sent later was answered
    /// first: an older time only shortens the trust, while a stored time carried over could lie in
    /// the future after the clock stepped back.
    public mutating func remember(_ key: APIKey, sentAtMs: Int64, generation: Int) {
        guard generation == self.generation, key.revokedAt == nil, !revoked.contains(key.id) else { return }
        let previous = entries[key.lookup]
        entries[key.lookup] = Entry(
            key: key, verifiedAtMs: sentAtMs, lastHitMs: sentAtMs, usedSinceRefresh: previous?.usedSinceRefresh ?? false)
    }

    /// What a refresh asks about: every entry's key, and those used since the last refresh. The
    /// used marks are cleared (`last_used_at` has a minute's resolution; a lost mark is harmless).
    public mutating func beginRefresh() -> (generation: Int, ids: [UUID], used: [UUID]) {
        var used: [UUID] = []
        for (lookup, entry) in entries where entry.usedSinceRefresh {
            used.append(entry.key.id)
            entries[lookup]?.usedSinceRefresh = false
        }
        return (generation, entries.values.map(\.key.id), used)
    }

    /// Applies the catalog's answer for the keys of ``beginRefresh()``: active ones are verified
    /// again as of `sentAtMs`, revoked or deleted ones dropped, idle ones forgotten.
    public mutating func finishRefresh(asked ids: [UUID], current: [APIKey], sentAtMs: Int64, generation: Int, nowMs: Int64) {
        guard generation == self.generation else { return }
        let asked = Set(ids)
        let byID = Dictionary(current.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for id in asked where byID[id].map({ $0.revokedAt != nil }) ?? true {
            revoked.insert(id)
        }
        for (lookup, entry) in entries where asked.contains(entry.key.id) {
            if let fresh = byID[entry.key.id], fresh.revokedAt == nil, fresh.lookup == lookup,
                nowMs - entry.lastHitMs < idleAfterMs
            {
                entries[lookup] = Entry(
                    key: fresh, verifiedAtMs: sentAtMs, lastHitMs: entry.lastHitMs, usedSinceRefresh: entry.usedSinceRefresh)
            } else {
                entries[lookup] = nil
            }
        }
    }

    /// Drops everything, and every verification in flight.
    public mutating func forgetAll() {
        entries = [:]
        generation += 1
    }
}
