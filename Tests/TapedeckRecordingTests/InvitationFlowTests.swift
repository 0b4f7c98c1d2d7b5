import Foundation
import Synchronization
import Testing
import ObjectStorage
import TapedeckCore
import TapedeckStore
import TestSupport

@testable import TapedeckRecording

/// A mail server that records what it was given and answers from a script (`nil`: accepted).
final class FakeMailTransport: MailTransport, Sendable {
    private let state = Mutex<(sent: [OutgoingMail], script: [MailTransportError?])>(([], []))

    init(script: [MailTransportError?] = []) { state.withLock { $0.script = script } }

    func send(_ mail: OutgoingMail) async throws {
        let answer = state.withLock { state -> MailTransportError? in
            let next = state.script.isEmpty ? nil : state.script.removeFirst()
            if next == nil { state.sent.append(mail) }
            return next
        }
        if let answer { throw answer }
    }

    var sent: [OutgoingMail] { state.withLock { $0.sent } }
}

@Suite("Invitations and the outbox")
struct InvitationFlowTests {
    struct World {
        var catalog: Catalog
        var clock: ManualClock
        var transport: FakeMailTransport?
        var dependencies: RecordingDependencies
        var handlers: JobHandlers

        func runJobs() async throws -> [String] { try await FlowJobs.run(dependencies, handlers: handlers) }

        func emails() async throws -> [StoredEmail] {
            try await catalog.pool.emails.list(status: nil, before: nil, limit: 100).sorted { $0.recipient < $1.recipient }
        }
    }

    static func with(
        _ database: TestDatabase, transport: FakeMailTransport?, policy: RecordingPolicy = RecordingPolicy(),
        _ body: (World) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let directory = try TemporaryDirectory.create()
            defer { directory.remove() }
            let store = LocalDiskStore(
                root: directory.path + "/objects", scratch: directory.path + "/tmp",
                signer: MediaURLSigner(secret: Array(repeating: 7, count: 32), baseURL: "http://127.0.0.1"), clock: { clock.now() })
            var dependencies = RecordingDependencies(catalog: catalog, store: store, metrics: ServiceMetrics(), logger: TestLogger.make())
            dependencies.defaultPolicy = policy
            dependencies.mail = MailOutbox(
                settings: MailSettings(fromAddress: "school@example.com", fromName: "The School"), transport: transport,
                sealing: .ephemeral(), publicURL: "https://tapedeck.example.com")
            let handlers = JobHandlers([
                InvitationFanOutJob(catalog: catalog, outbox: dependencies.mail, defaultPolicy: policy),
                EmailDeliveryJob(catalog: catalog, outbox: dependencies.mail),
                AccessRequestJob(catalog: catalog, outbox: dependencies.mail, defaultPolicy: policy),
            ])
            try await body(World(catalog: catalog, clock: clock, transport: transport, dependencies: dependencies, handlers: handlers))
        }
    }

    /// A recording that is still being made, in a room with two invitees (one listed twice in two
    /// spellings) and one of its own; made ready by `RecordingLifecycle`.
    static func invitedRecording(_ world: World) async throws -> Recording {
        let recording = try await Fixtures.recording(world.catalog, room: "class-7b", status: .stopping)
        try await world.catalog.pool.invitees.replace(
            .room(recording.roomID), with: [Invitee(email: "Ada@Example.com", name: "Ada"), Invitee(email: "bo@example.com")])
        try await world.catalog.pool.invitees.replace(
            .recording(recording.id), with: [Invitee(email: "ada@example.com", name: "Ada L."), Invitee(email: "cy@example.com")])
        return recording
    }

    static func markReady(_ world: World, _ id: UUID) async throws {
        _ = try await world.catalog.transaction { tx in
            try await RecordingLifecycle.markReady(tx, id, actor: "test", cause: "outputs verified", changes: RecordingChanges(durationMs: 61_000))
        }
    }

    @Test("one email per invitee and recording, however often it becomes ready and the jobs run", arguments: TestDatabase.all)
    func exactlyOnce(database: TestDatabase) async throws {
        let transport = FakeMailTransport()
        try await Self.with(database, transport: transport) { world in
            let recording = try await Self.invitedRecording(world)
            try await Self.markReady(world, recording.id)
            _ = try await world.runJobs()
            // Ready again (a redelivered webhook, a second verification), and a fan-out run again.
            try await Self.markReady(world, recording.id)
            try await world.catalog.pool.jobs.enqueue(try InvitationFanOutJob.newJob(recordingID: recording.id, round: UUID()))
            _ = try await world.runJobs()
            #expect(transport.sent.map(\.toAddress).sorted() == ["ada@example.com", "bo@example.com", "cy@example.com"])
            let emails = try await world.emails()
            #expect(emails.map(\.status) == [.sent, .sent, .sent])
            #expect(emails.first?.name == "Ada L.")  // the recording's own entry wins
            #expect(Set(transport.sent.map(\.messageID)) == Set(emails.map(\.messageID)))
            // Each link is an emailed share bound to its address, and in the message only.
            let ada = try #require(transport.sent.first { $0.toAddress == "ada@example.com" })
            let token = try #require(ada.textBody.components(separatedBy: "https://tapedeck.example.com/s/").last?.prefix(ShareToken.length))
            let share = try #require(try await world.catalog.pool.shares.find(tokenHash: ShareToken.hash(String(token))))
            #expect(share.email == "ada@example.com" && share.linkIsCredential && share.recordingID == recording.id)
            #expect(share.expiresAt.timeIntervalSince(share.createdAt) >= Double(RecordingPolicy.defaultInviteLinkTTLS) - 1)
            #expect(!emails.contains { $0.textBody.contains(String(token)) || $0.htmlBody.contains(String(token)) })
            #expect(ada.listUnsubscribe == "mailto:school@example.com?subject=unsubscribe" && ada.fromName == "The School")
            let events = try await world.catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 200)
            #expect(events.filter { $0.type == "invite.sent" }.count == 3)
        }
    }

    @Test("fan-outs of one recording running at once write one email and one share per invitee", arguments: TestDatabase.all)
    func concurrentFanOuts(database: TestDatabase) async throws {
        try await Self.with(database, transport: FakeMailTransport()) { world in
            let recording = try await Self.invitedRecording(world)
            try await Self.markReady(world, recording.id)
            let job = try await Self.claim(InvitationFanOutJob.kind, world.catalog)
            let handler = InvitationFanOutJob(catalog: world.catalog, outbox: world.dependencies.mail, defaultPolicy: RecordingPolicy())
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await handler.run(job, logger: TestLogger.make()) } }
                try await group.waitForAll()
            }
            #expect(try await world.emails().map(\.recipient) == ["ada@example.com", "bo@example.com", "cy@example.com"])
            let shares = try await world.catalog.pool.shares.list(recordingID: recording.id)
            #expect(shares.count == 3 && shares.allSatisfy(\.linkIsCredential))
        }
    }

    @Test("notify: none sends nothing; notify: participants adds the session's people with a known email", arguments: TestDatabase.all)
    func notifyRule(database: TestDatabase) async throws {
        try await Self.with(database, transport: FakeMailTransport(), policy: RecordingPolicy(notify: .none)) { world in
            let recording = try await Self.invitedRecording(world)
            try await Self.markReady(world, recording.id)
            _ = try await world.runJobs()
            #expect(try await world.emails().isEmpty && world.transport?.sent.isEmpty == true)
        }
        let transport = FakeMailTransport()
        try await Self.with(database, transport: transport, policy: RecordingPolicy(notify: .participants)) { world in
            let recording = try await Self.invitedRecording(world)
            let sessionID = try #require(recording.sessionID)
            try await world.catalog.pool.participants.join(sessionID: sessionID, identity: "dee", name: "Dee", isHost: false, at: world.clock.now())
            try await world.catalog.pool.participants.join(sessionID: sessionID, identity: "eve", name: "Eve", isHost: false, at: world.clock.now())
            try await world.catalog.pool.viewerEmails.remember(identity: "dee", email: "dee@example.com")
            try await world.catalog.pool.viewerEmails.remember(identity: "bo-too", email: "bo@example.com")
            try await Self.markReady(world, recording.id)
            _ = try await world.runJobs()
            #expect(transport.sent.map(\.toAddress).sorted() == ["ada@example.com", "bo@example.com", "cy@example.com", "dee@example.com"])
        }
    }

    @Test(
        "participants' addresses (told by the installation's tokens) are used only in rooms those tokens speak for",
        arguments: TestDatabase.all)
    func participantAddressesAcrossOrganizations(database: TestDatabase) async throws {
        for allowsGlobalTokens in [false, true] {
            let transport = FakeMailTransport()
            try await Self.with(database, transport: transport, policy: RecordingPolicy(notify: .participants)) { world in
                let recording = try await Fixtures.recording(world.catalog, room: "beta-class", status: .stopping)
                let organization = try #require(
                    try await world.catalog.pool.organizations.create(
                        slug: "beta", name: "Beta", accessRule: .participants, allowGlobalViewerSecret: allowsGlobalTokens, retainDays: nil,
                        viewerSecretKid: "ovk_test", viewerSecretSealed: "sealed"))
                try await world.catalog.pool.rooms.setOrganization(recording.roomID, organization.id)
                let sessionID = try #require(recording.sessionID)
                // Beta's participant "u42"; the installation's own token said another "u42" is eve.
                try await world.catalog.pool.participants.join(sessionID: sessionID, identity: "u42", name: "U", isHost: false, at: world.clock.now())
                try await world.catalog.pool.viewerEmails.remember(identity: "u42", email: "eve@example.com")
                try await Self.markReady(world, recording.id)
                try await world.catalog.pool.jobs.enqueue(try AccessRequestJob.newJob(recordingID: recording.id, email: "eve@example.com"))
                _ = try await world.runJobs()
                let expected = allowsGlobalTokens ? ["eve@example.com", "eve@example.com"] : []
                #expect(transport.sent.map(\.toAddress) == expected, "allows the installation's tokens: \(allowsGlobalTokens)")
            }
        }
    }

    @Test("a 4xx is retried with backoff, a 5xx or the last attempt ends failed with the server's answer", arguments: TestDatabase.all)
    func retries(database: TestDatabase) async throws {
        let transport = FakeMailTransport(script: [.transient("421 4.7.0 try again later"), .transient("connection reset"), nil])
        try await Self.with(database, transport: transport) { world in
            let recording = try await Fixtures.recording(world.catalog, room: "r", status: .stopping)
            try await world.catalog.pool.invitees.replace(.recording(recording.id), with: [Invitee(email: "ada@example.com")])
            try await Self.markReady(world, recording.id)
            _ = try await world.runJobs()
            var email = try #require(try await world.emails().first)
            #expect(email.status == .queued && email.attempts == 1 && email.lastError == "421 4.7.0 try again later")
            // Not due yet: the queue's backoff holds it.
            #expect(try await world.runJobs().isEmpty)
            world.clock.advance(by: 3)
            _ = try await world.runJobs()
            email = try #require(try await world.emails().first)
            #expect(email.status == .queued && email.attempts == 2 && email.lastError == "connection reset")
            world.clock.advance(by: 2)
            #expect(try await world.runJobs().isEmpty)  // the second wait is longer
            world.clock.advance(by: 3)
            _ = try await world.runJobs()
            email = try #require(try await world.emails().first)
            #expect(email.status == .sent && email.attempts == 3 && transport.sent.count == 1)
        }
        let refusing = FakeMailTransport(script: [.permanent("550 5.1.1 no such user")])
        try await Self.with(database, transport: refusing) { world in
            let recording = try await Fixtures.recording(world.catalog, room: "r", status: .stopping)
            try await world.catalog.pool.invitees.replace(.recording(recording.id), with: [Invitee(email: "ghost@example.com")])
            try await Self.markReady(world, recording.id)
            _ = try await world.runJobs()
            let email = try #require(try await world.emails().first)
            #expect(email.status == .failed && email.attempts == 1 && email.lastError == "550 5.1.1 no such user")
            let job = try #require(try await world.catalog.pool.jobs.find(idempotencyKey: "emails.deliver:\(email.id.uuidString.lowercased())"))
            #expect(job.state == .dead)
        }
        let alwaysBusy = FakeMailTransport(script: Array(repeating: .transient("451 busy"), count: EmailDeliveryJob.maxAttempts))
        try await Self.with(database, transport: alwaysBusy) { world in
            let recording = try await Fixtures.recording(world.catalog, room: "r", status: .stopping)
            try await world.catalog.pool.invitees.replace(.recording(recording.id), with: [Invitee(email: "ada@example.com")])
            try await Self.markReady(world, recording.id)
            for _ in 0..<EmailDeliveryJob.maxAttempts {
                _ = try await world.runJobs()
                world.clock.advance(by: 3600)
            }
            let email = try #require(try await world.emails().first)
            #expect(email.status == .failed && email.attempts == EmailDeliveryJob.maxAttempts && email.lastError == "451 busy")
        }
    }

    /// Claims the due job of `kind` as worker `w1` (the others go back untouched).
    static func claim(_ kind: String, _ catalog: Catalog) async throws -> Job {
        let jobs = try await catalog.transaction { tx in try await tx.jobs.claim(workerID: "w1", limit: 20, leaseSeconds: 60) }
        for other in jobs where other.kind != kind { _ = try await catalog.pool.jobs.release(other) }
        return try #require(jobs.first { $0.kind == kind })
    }

    @Test("a worker that stopped mid-send sends again under the same Message-ID", arguments: TestDatabase.all)
    func resumeAfterCrash(database: TestDatabase) async throws {
        let transport = FakeMailTransport()
        try await Self.with(database, transport: transport) { world in
            let recording = try await Fixtures.recording(world.catalog, room: "r", status: .stopping)
            try await world.catalog.pool.invitees.replace(.recording(recording.id), with: [Invitee(email: "ada@example.com")])
            try await Self.markReady(world, recording.id)
            let catalog = world.catalog
            // The fan-out runs; then a worker claims the delivery, writes its attempt, and dies.
            let fanOut = try await Self.claim(InvitationFanOutJob.kind, catalog)
            try await InvitationFanOutJob(catalog: catalog, outbox: world.dependencies.mail, defaultPolicy: RecordingPolicy())
                .run(fanOut, logger: TestLogger.make())
            _ = try await catalog.pool.jobs.complete(fanOut)
            _ = try await Self.claim(EmailDeliveryJob.kind, catalog)
            let before = try #require(try await world.emails().first)
            _ = try await catalog.pool.emails.beginAttempt(id: before.id)
            // Still leased to the dead worker.
            #expect(try await !world.runJobs().contains(EmailDeliveryJob.kind) && transport.sent.isEmpty)
            world.clock.advance(by: 61)
            #expect(try await world.runJobs() == [EmailDeliveryJob.kind])
            let after = try #require(try await world.emails().first)
            #expect(after.status == .sent && after.attempts == 2 && after.messageID == before.messageID)
            #expect(transport.sent.map(\.messageID) == [before.messageID])
            // Nothing is left to send it a third time.
            world.clock.advance(by: 3600)
            #expect(try await world.runJobs().isEmpty && transport.sent.count == 1)
        }
    }

    /// A ready recording whose one invitee's email had every attempt but the last refused for now
    /// (the transport's script says 4xx that many times): the email is `queued`, one attempt left.
    static func oneAttemptLeft(_ world: World) async throws -> (Recording, StoredEmail) {
        let recording = try await Fixtures.recording(world.catalog, room: "r", status: .stopping)
        try await world.catalog.pool.invitees.replace(.recording(recording.id), with: [Invitee(email: "ada@example.com")])
        try await markReady(world, recording.id)
        for _ in 1..<EmailDeliveryJob.maxAttempts {
            _ = try await world.runJobs()
            world.clock.advance(by: 3600)
        }
        let queued = try #require(try await world.emails().first)
        #expect(queued.status == .queued && queued.attempts == EmailDeliveryJob.maxAttempts - 1)
        return (recording, queued)
    }

    @Test("a worker killed during the last attempt leaves the email failed with that reason, not sending", arguments: TestDatabase.all)
    func killedOnLastAttempt(database: TestDatabase) async throws {
        let transport = FakeMailTransport(script: Array(repeating: .transient("451 busy"), count: EmailDeliveryJob.maxAttempts - 1))
        try await Self.with(database, transport: transport) { world in
            let catalog = world.catalog
            let (recording, queued) = try await Self.oneAttemptLeft(world)
            // The last attempt: a worker claims it, writes the attempt, and is killed.
            let delivery = try await Self.claim(EmailDeliveryJob.kind, catalog)
            #expect(delivery.attempts == delivery.maxAttempts)
            _ = try await catalog.pool.emails.beginAttempt(id: queued.id)
            // While the dead worker's lease lasts, the sweep leaves the email to the job.
            let housekeeping = try #require(Housekeeping.tasks(world.dependencies).first { $0.name == "abandoned-emails" })
            try await housekeeping.action()
            #expect(try await world.emails().first?.status == .sending)
            // The lease runs out: the queue gives the job up, nothing would ever finish the email.
            world.clock.advance(by: 61)
            #expect(try await world.runJobs().isEmpty)
            let job = try #require(try await catalog.pool.jobs.find(idempotencyKey: "emails.deliver:\(queued.id.uuidString.lowercased())"))
            #expect(job.state == .dead)
            #expect(try await world.emails().first?.status == .sending)
            try await housekeeping.action()
            let failed = try #require(try await world.emails().first)
            #expect(failed.status == .failed && failed.lastError == EmailDeliveryJob.abandonedReason && failed.linkSealed == nil)
            #expect(transport.sent.isEmpty)
            let events = try await catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 100)
            #expect(events.filter { $0.type == "email.failed" }.count == 1)
            // Once is enough: a second sweep changes nothing.
            #expect(try await EmailDeliveryJob.failAbandoned(catalog: catalog, logger: TestLogger.make()) == 0)
            #expect(try await catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 100).count == events.count)
        }
    }

    @Test("a worker killed after claiming the last attempt, before writing it, leaves the email failed, once however many sweep", arguments: TestDatabase.all)
    func killedBeforeLastAttempt(database: TestDatabase) async throws {
        let transport = FakeMailTransport(script: Array(repeating: .transient("451 busy"), count: EmailDeliveryJob.maxAttempts - 1))
        try await Self.with(database, transport: transport) { world in
            let catalog = world.catalog
            let (recording, queued) = try await Self.oneAttemptLeft(world)
            // The last attempt is claimed and the worker is killed before it writes the attempt.
            let delivery = try await Self.claim(EmailDeliveryJob.kind, catalog)
            #expect(delivery.attempts == delivery.maxAttempts)
            #expect(try await EmailDeliveryJob.failAbandoned(catalog: catalog, logger: TestLogger.make()) == 0)
            world.clock.advance(by: 61)
            #expect(try await world.runJobs().isEmpty)
            #expect(try await world.emails().first?.status == .queued)
            // Several workers sweep at once: the email ends failed, and one event says so.
            let ended = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await EmailDeliveryJob.failAbandoned(catalog: catalog, logger: TestLogger.make()) } }
                return try await group.reduce(0, +)
            }
            #expect(ended == 1)
            let failed = try #require(try await world.emails().first)
            #expect(failed.id == queued.id && failed.status == .failed && failed.lastError == EmailDeliveryJob.abandonedBeforeSendingReason)
            #expect(failed.linkSealed == nil && transport.sent.isEmpty)
            let events = try await catalog.pool.events.list(recordingID: recording.id, afterID: nil, limit: 100)
            #expect(events.filter { $0.type == "email.failed" }.count == 1)
        }
    }

    @Test("without a mail server emails are recorded as skipped and nothing is queued to send", arguments: TestDatabase.all)
    func skipped(database: TestDatabase) async throws {
        try await Self.with(database, transport: nil) { world in
            let recording = try await Self.invitedRecording(world)
            try await Self.markReady(world, recording.id)
            let kinds = try await world.runJobs()
            #expect(!kinds.contains(EmailDeliveryJob.kind))
            let emails = try await world.emails()
            #expect(emails.map(\.status) == [.skipped, .skipped, .skipped] && emails.allSatisfy { $0.linkSealed == nil })
        }
    }

    @Test("a link request sends a fresh link to an invitee or participant, one per address and slot, and nothing otherwise", arguments: TestDatabase.all)
    func accessRequests(database: TestDatabase) async throws {
        let transport = FakeMailTransport()
        try await Self.with(database, transport: transport, policy: RecordingPolicy(notify: .none)) { world in
            let recording = try await Self.invitedRecording(world)
            try await world.catalog.pool.participants.join(
                sessionID: recording.sessionID!, identity: "dee", name: "Dee", isHost: false, at: world.clock.now())
            try await world.catalog.pool.viewerEmails.remember(identity: "dee", email: "dee@example.com")
            for email in ["BO@example.com", "stranger@example.com", "dee@example.com"] {
                try await world.catalog.pool.jobs.enqueue(try AccessRequestJob.newJob(recordingID: recording.id, email: email))
            }
            // Before it is ready nobody gets anything.
            _ = try await world.runJobs()
            #expect(transport.sent.isEmpty)
            try await Self.markReady(world, recording.id)
            for email in ["BO@example.com", "stranger@example.com", "dee@example.com", "bo@example.com"] {
                try await world.catalog.pool.jobs.enqueue(try AccessRequestJob.newJob(recordingID: recording.id, email: email))
            }
            try await world.catalog.pool.jobs.enqueue(try AccessRequestJob.newJob(recordingID: UUID(), email: "bo@example.com"))
            _ = try await world.runJobs()
            // Bo asked twice (in two spellings): one link, whichever instance took each request.
            #expect(transport.sent.map(\.toAddress).sorted() == ["bo@example.com", "dee@example.com"])
            // Once the slot has passed, a new request gets a fresh link.
            world.clock.advance(by: AccessRequestJob.linkSlot)
            try await world.catalog.pool.jobs.enqueue(try AccessRequestJob.newJob(recordingID: recording.id, email: "bo@example.com"))
            _ = try await world.runJobs()
            #expect(transport.sent.map(\.toAddress).sorted() == ["bo@example.com", "bo@example.com", "dee@example.com"])
            #expect(try await world.emails().allSatisfy { $0.kind == .accessLink })
            #expect(Set(transport.sent.map(\.textBody)).count == 3)  // a fresh link each time
        }
    }

    static func recording(room: String) -> Recording {
        Recording(
            id: UUID(), roomID: UUID(), roomName: room, provider: "livekit", status: .ready,
            startedAt: Date(timeIntervalSince1970: 1_800_000_000), durationMs: 3_723_000, storage: "local", keyPrefix: "x/",
            createdAt: Date(timeIntervalSince1970: 1_800_000_000), updatedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("hostile names, rooms and titles stay text in the HTML and one line in the subject")
    func hostileTemplates() throws {
        for hostile in HostileStrings.all {
            var recording = Self.recording(room: hostile)
            recording.title = hostile
            for kind in EmailKind.allCases {
                let mail = MailTemplates.render(
                    kind, recording: recording, recipientName: hostile, recipientEmail: "ada@example.com",
                    link: "https://tapedeck.example.com/s/abc", expiresAt: Date(timeIntervalSince1970: 2_000_000_000))
                #expect(!PlainText.hasControlCharacters(mail.subject), "\(hostile.debugDescription)")
                let escaped = HTMLEscaping.escape(MailTemplates.oneLine(hostile))
                // Compared as bytes: a name starting with a combining mark joins the space before it
                // into one Character, which String.contains would not match.
                #expect(escaped.isEmpty || Data(mail.html.utf8).range(of: Data(escaped.utf8)) != nil, "\(hostile.debugDescription)")
                // The markup is the template's only: as many tags as with a harmless name.
                let plain = MailTemplates.render(
                    kind, recording: Self.recording(room: "room"), recipientName: "Ada", recipientEmail: "ada@example.com",
                    link: "https://tapedeck.example.com/s/abc", expiresAt: Date(timeIntervalSince1970: 2_000_000_000))
                #expect(mail.html.filter { $0 == "<" }.count == plain.html.filter { $0 == "<" }.count, "\(hostile.debugDescription)")
                #expect(mail.html.components(separatedBy: "href=").count == 2)
            }
        }
    }
}
