import Foundation
import Testing
import TapedeckCore
import TestSupport

@Suite("Verified API keys: a revoked key does not linger, a wrong secret never passes")
struct VerifiedKeyTableTests {
    static let maximumAgeMs: Int64 = 5_000

    struct Held {
        var key: APIKey
        var credential: APIKeyCredential
    }

    /// A statement sent to the catalog and not answered yet; its answer is the catalog's state
    /// when it was sent (PostgreSQL runs it after that, so a real answer is at least as new).
    enum InFlight {
        case lookup(APIKey?, sentAtMs: Int64, generation: Int)
        case refresh(asked: [UUID], answer: [APIKey], sentAtMs: Int64, generation: Int)
    }

    static func keys(_ count: Int) -> [Held] {
        (0..<count).map { index in
            let credential = APIKeyCredential.generate()
            let key = APIKey(
                id: UUID(), name: "key \(index)", lookup: credential.lookup, secretHash: credential.secretHash,
                createdAt: Date(millisecondsSince1970: 0), lastUsedAt: nil, revokedAt: nil)
            return Held(key: key, credential: credential)
        }
    }

    @Test("generated interleavings of requests, lookups, refreshes and revocations", arguments: 0..<40)
    func generated(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed) &* 0x5851_F42D_4C95_7F2D &+ 17)
        let held = Self.keys(6)
        var revokedAtMs: [Int64?] = Array(repeating: nil, count: held.count)
        var revokedHere = Set<Int>()
        /// Revoked, and a refresh sent after the revocation has been applied.
        var refreshedAfterRevocation = Set<Int>()
        var hitSinceRefresh = Set<UUID>()
        var table = VerifiedKeyTable(maximumAgeMs: Self.maximumAgeMs)
        var now: Int64 = 1_000_000
        var inFlight: [InFlight] = []
        var hits = 0

        func catalogAnswer(_ index: Int) -> APIKey {
            var key = held[index].key
            key.revokedAt = revokedAtMs[index].map { Date(millisecondsSince1970: $0) }
            return key
        }

        func passed(_ key: APIKey, _ index: Int, _ step: Int) {
            hits += 1
            #expect(key.id == held[index].key.id)
            #expect(!revokedHere.contains(index), "a key revoked here still passes (step \(step))")
            #expect(!refreshedAfterRevocation.contains(index), "a refresh reported the revocation, yet it passes (step \(step))")
            if let revoked = revokedAtMs[index] {
                #expect(now < revoked + Self.maximumAgeMs, "a revoked key passed \(now - revoked) ms later")
            }
            hitSinceRefresh.insert(key.id)
        }

        for step in 0..<400 {
            let index = Int.random(in: 0..<held.count, using: &random)
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<15:
                now += Int64.random(in: 0...2_500, using: &random)
            case 15..<50:
                let forged = Bool.random(using: &random) && Int.random(in: 0..<4, using: &random) == 0
                let credential =
                    forged
                    ? APIKeyCredential(lookup: held[index].credential.lookup, secret: APIKeyCredential.generate().secret)
                    : held[index].credential
                if let key = table.hit(credential, nowMs: now) {
                    #expect(!forged, "a wrong secret passed (step \(step))")
                    passed(key, index, step)
                } else if !forged {
                    let answer = catalogAnswer(index)
                    inFlight.append(.lookup(answer.revokedAt == nil ? answer : nil, sentAtMs: now, generation: table.generation))
                }
            case 50..<70 where !inFlight.isEmpty:
                switch inFlight.remove(at: Int.random(in: 0..<inFlight.count, using: &random)) {
                case .lookup(let key, let sentAt, let generation):
                    guard let key else { break }
                    table.remember(key, sentAtMs: sentAt, generation: generation)
                    let index = held.firstIndex { $0.key.id == key.id }!
                    let current = generation == table.generation && now - sentAt < Self.maximumAgeMs
                        && !refreshedAfterRevocation.contains(index)
                    if let key = table.hit(held[index].credential, nowMs: now) {
                        passed(key, index, step)
                    } else {
                        #expect(!current, "a key just verified does not pass (step \(step))")
                    }
                case .refresh(let asked, let answer, let sentAt, let generation):
                    let applies = generation == table.generation
                    table.finishRefresh(asked: asked, current: answer, sentAtMs: sentAt, generation: generation, nowMs: now)
                    for key in answer where applies && key.revokedAt != nil {
                        refreshedAfterRevocation.insert(held.firstIndex { $0.key.id == key.id }!)
                    }
                }
            case 70..<85:
                let (generation, ids, used) = table.beginRefresh()
                #expect(Set(used) == hitSinceRefresh.intersection(ids), "the keys used since the last refresh")
                hitSinceRefresh = []
                let answer = ids.compactMap { id in held.firstIndex { $0.key.id == id }.map(catalogAnswer) }
                inFlight.append(.refresh(asked: ids, answer: answer, sentAtMs: now, generation: generation))
            case 85..<87 where revokedAtMs[index] == nil:
                revokedAtMs[index] = now
            case 87 where revokedAtMs[index] == nil:
                // Revoked by this process (an organization deleted here).
                revokedAtMs[index] = now
                revokedHere.insert(index)
                table.forgetAll()
            default:
                now += 1
            }
        }
        #expect(hits > 0, "the sequence exercised hits")
    }

    @Test("an entry answers only while younger than its maximum age, never with the clock set back")
    func ages() {
        let held = Self.keys(1)[0]
        var table = VerifiedKeyTable(maximumAgeMs: 5_000)
        table.remember(held.key, sentAtMs: 10_000, generation: table.generation)
        #expect(table.hit(held.credential, nowMs: 10_000) != nil)
        #expect(table.hit(held.credential, nowMs: 14_999) != nil)
        #expect(table.hit(held.credential, nowMs: 15_000) == nil)
        #expect(table.entries.count == 1, "too old: asked about again, kept for the refresh to settle")
        #expect(table.hit(held.credential, nowMs: 9_999) == nil)
        #expect(table.entries.isEmpty, "a time before its verification: the entry goes")
        // An answer sent earlier, arriving after a later one, counts from its own (older) time.
        table.remember(held.key, sentAtMs: 20_000, generation: table.generation)
        table.remember(held.key, sentAtMs: 17_000, generation: table.generation)
        #expect(table.hit(held.credential, nowMs: 21_999) != nil)
        #expect(table.hit(held.credential, nowMs: 22_000) == nil)
    }

    @Test("an answer read before a revocation here cannot bring the key back")
    func forgetVoidsInFlight() {
        let held = Self.keys(1)[0]
        var table = VerifiedKeyTable(maximumAgeMs: 5_000)
        let before = table.generation
        table.forgetAll()
        table.remember(held.key, sentAtMs: 10_000, generation: before)
        #expect(table.hit(held.credential, nowMs: 10_001) == nil)
        table.remember(held.key, sentAtMs: 10_000, generation: table.generation)
        let refresh = table.beginRefresh()
        table.forgetAll()
        table.finishRefresh(asked: refresh.ids, current: [held.key], sentAtMs: 10_002, generation: refresh.generation, nowMs: 10_003)
        #expect(table.entries.isEmpty)
    }

    @Test("keys idle for a minute are dropped at a refresh; revoked and deleted keys at once")
    func refreshDrops() {
        let held = Self.keys(3)
        var table = VerifiedKeyTable(maximumAgeMs: 5_000, idleAfterMs: 60_000)
        for entry in held { table.remember(entry.key, sentAtMs: 55_000, generation: table.generation) }
        #expect(table.hit(held[0].credential, nowMs: 59_000) != nil)
        let refresh = table.beginRefresh()
        #expect(refresh.used == [held[0].key.id])
        var revoked = held[1].key
        revoked.revokedAt = Date(millisecondsSince1970: 59_500)
        // held[2] is gone from the answer, as a deleted row would be.
        table.finishRefresh(
            asked: refresh.ids, current: [held[0].key, revoked], sentAtMs: 60_000, generation: refresh.generation, nowMs: 60_000)
        #expect(Set(table.entries.keys) == [held[0].key.lookup])
        #expect(table.hit(held[0].credential, nowMs: 64_999) != nil, "verified again as of the refresh")
        let idle = table.beginRefresh()
        table.finishRefresh(asked: idle.ids, current: [held[0].key], sentAtMs: 125_000, generation: idle.generation, nowMs: 125_000)
        #expect(table.entries.isEmpty, "unused for a minute")
    }
}
