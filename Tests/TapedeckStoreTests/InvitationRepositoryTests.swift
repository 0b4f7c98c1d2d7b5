import Foundation
import Testing
import TapedeckCore
import TapedeckStore
import TestSupport

@Suite("Invitee, outbox and viewer email repositories")
struct InvitationRepositoryTests {
    @Test("a list is replaced whole, one entry per address, and a recording's invitees include its room's", arguments: TestDatabase.all)
    func invitees(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog, room: "class-a")
            let other = try await Fixtures.recording(catalog, room: "class-b")
            try await catalog.pool.invitees.replace(
                .room(recording.roomID),
                with: [Invitee(email: "Ada@Example.com", name: "Ada"), Invitee(email: "ada@example.com", name: "Second"), Invitee(email: "bo@example.com")])
            try await catalog.pool.invitees.replace(.recording(recording.id), with: [Invitee(email: "cy@example.com", role: "mentor")])
            #expect(try await catalog.pool.invitees.list(.room(recording.roomID)).map(\.email) == ["ada@example.com", "bo@example.com"])
            #expect(try await catalog.pool.invitees.list(.room(recording.roomID)).first?.name == "Ada")
            let all = try await catalog.pool.invitees.forRecording(id: recording.id, roomID: recording.roomID)
            #expect(all.map(\.email) == ["ada@example.com", "bo@example.com", "cy@example.com"])
            #expect(try await catalog.pool.invitees.isInvited(email: "ADA@example.com", recordingID: recording.id, roomID: recording.roomID))
            #expect(try await catalog.pool.invitees.isInvited(email: "cy@example.com", recordingID: recording.id, roomID: recording.roomID))
            #expect(try await !catalog.pool.invitees.isInvited(email: "cy@example.com", recordingID: other.id, roomID: other.roomID))
            try await catalog.pool.invitees.replace(.room(recording.roomID), with: [Invitee(email: "dee@example.com")])
            #expect(try await catalog.pool.invitees.list(.room(recording.roomID)).map(\.email) == ["dee@example.com"])
            #expect(try await !catalog.pool.invitees.isInvited(email: "ada@example.com", recordingID: recording.id, roomID: recording.roomID))
        }
    }

    static func newEmail(_ recording: Recording, share: UUID?, key: String, status: EmailStatus = .queued) -> NewEmail {
        NewEmail(
            kind: .invite, recipient: "ada@example.com", name: "Ada", subject: "s", textBody: "t", htmlBody: "<p>t</p>",
            recordingID: recording.id, shareID: share, linkSealed: "v1:x", messageIDDomain: "example.com", status: status,
            idempotencyKey: key)
    }

    @Test("an email's key makes a second write a no-op; attempts move queued → sending → sent or failed", arguments: TestDatabase.all)
    func outbox(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let (first, created) = try await catalog.pool.emails.create(Self.newEmail(recording, share: nil, key: "invite:r:ada"))
            #expect(created && first.status == .queued && first.attempts == 0)
            #expect(first.messageID == "<\(first.id.uuidString.lowercased())@example.com>")
            let (again, createdAgain) = try await catalog.pool.emails.create(Self.newEmail(recording, share: nil, key: "invite:r:ada"))
            #expect(!createdAgain && again.id == first.id)

            let claimed = try #require(try await catalog.pool.emails.beginAttempt(id: first.id))
            #expect(claimed.status == .sending && claimed.attempts == 1)
            // A worker that died while sending: the next attempt claims it again.
            let resumed = try #require(try await catalog.pool.emails.beginAttempt(id: first.id))
            #expect(resumed.attempts == 2 && resumed.messageID == first.messageID)
            try await catalog.pool.emails.markFailed(id: first.id, error: "421 try later", final: false)
            #expect(try await catalog.pool.emails.find(id: first.id)?.status == .queued)
            _ = try await catalog.pool.emails.beginAttempt(id: first.id)
            clock.advance(by: 5)
            try await catalog.pool.emails.markSent(id: first.id)
            let sent = try #require(try await catalog.pool.emails.find(id: first.id))
            #expect(sent.status == .sent && sent.sentAt == clock.now() && sent.lastError == nil && sent.linkSealed == nil)
            #expect(try await catalog.pool.emails.beginAttempt(id: first.id) == nil)

            let (bad, _) = try await catalog.pool.emails.create(Self.newEmail(recording, share: nil, key: "invite:r:bo"))
            _ = try await catalog.pool.emails.beginAttempt(id: bad.id)
            try await catalog.pool.emails.markFailed(id: bad.id, error: "550 no such user", final: true)
            let failed = try #require(try await catalog.pool.emails.find(id: bad.id))
            #expect(failed.status == .failed && failed.lastError == "550 no such user" && failed.linkSealed == nil)
            _ = try await catalog.pool.emails.create(Self.newEmail(recording, share: nil, key: "invite:r:cy", status: .skipped))

            #expect(try await catalog.pool.emails.list(status: .failed, before: nil, limit: 10).map(\.id) == [bad.id])
            #expect(try await catalog.pool.emails.list(status: nil, before: nil, limit: 10).count == 3)
            let counts = try await catalog.pool.emails.counts()
            #expect(counts[.sent] == 1 && counts[.failed] == 1 && counts[.skipped] == 1 && counts[.queued] == nil)
            let page = try await catalog.pool.emails.list(status: nil, before: nil, limit: 2)
            let last = try #require(page.last)
            let rest = try await catalog.pool.emails.list(
                status: nil, before: (last.createdAt.millisecondsSince1970, last.id), limit: 10)
            #expect(Set(page.map(\.id) + rest.map(\.id)).count == 3 && rest.count == 1)
        }
    }

    @Test("a share sent by email keeps that it is its own credential", arguments: TestDatabase.all)
    func credentialShare(database: TestDatabase) async throws {
        try await withTestCatalog(database) { catalog in
            let recording = try await Fixtures.recording(catalog)
            let emailed = try await catalog.pool.shares.create(
                NewShare(
                    recordingID: recording.id, tokenHash: "a", email: "ada@example.com", passcodeHash: nil, allowDownload: false,
                    expiresAt: catalog.clock.now().addingTimeInterval(600), createdBy: "system", linkIsCredential: true))
            let made = try await catalog.pool.shares.create(
                NewShare(
                    recordingID: recording.id, tokenHash: "b", email: "ada@example.com", passcodeHash: nil, allowDownload: false,
                    expiresAt: catalog.clock.now().addingTimeInterval(600), createdBy: "api"))
            #expect(try await catalog.pool.shares.find(id: emailed.id)?.linkIsCredential == true)
            #expect(try await catalog.pool.shares.find(id: made.id)?.linkIsCredential == false)
        }
    }

    @Test("a viewer sees their sessions' recordings and those they are invited to, searchable", arguments: TestDatabase.all)
    func viewerRecordings(database: TestDatabase) async throws {
        let clock = ManualClock()
        try await withTestCatalog(database, clock: clock) { catalog in
            let own = try await Fixtures.recording(catalog, room: "mentoring")
            clock.advance(by: 1)
            let invitedByRoom = try await Fixtures.recording(catalog, room: "lecture-101")
            clock.advance(by: 1)
            let invitedOnRecording = try await Fixtures.recording(catalog, room: "lab")
            clock.advance(by: 1)
            let stranger = try await Fixtures.recording(catalog, room: "other")
            try await catalog.pool.participants.join(sessionID: own.sessionID!, identity: "ada", name: "Ada", isHost: false, at: clock.now())
            try await catalog.pool.participants.join(sessionID: stranger.sessionID!, identity: "bo", name: "Bo", isHost: false, at: clock.now())
            try await catalog.pool.invitees.replace(.room(invitedByRoom.roomID), with: [Invitee(email: "ada@example.com")])
            try await catalog.pool.invitees.replace(.recording(invitedOnRecording.id), with: [Invitee(email: "ada@example.com")])
            let repo = catalog.pool.recordings
            func listed(_ email: String?, search: String? = nil) async throws -> [UUID] {
                try await repo.visibleToViewer(ViewerReach(identity: "ada", token: .installation, invitedEmail: email), search: search, limit: 10)
                    .map(\.recording.id)
            }
            #expect(try await listed("Ada@Example.com") == [invitedOnRecording.id, invitedByRoom.id, own.id])
            // Only their own session's is theirs to watch; the others open through a share.
            #expect(
                try await repo.visibleToViewer(ViewerReach(identity: "ada", token: .installation, invitedEmail: "ada@example.com"), search: nil, limit: 10)
                    .map(\.watchable) == [false, false, true])
            #expect(try await listed(nil) == [own.id])
            #expect(try await listed("ada@example.com", search: "LECT") == [invitedByRoom.id])
            #expect(try await listed("ada@example.com", search: "%").isEmpty)

            try await catalog.pool.viewerEmails.remember(identity: "ada", email: "ADA@example.com")
            try await catalog.pool.viewerEmails.remember(identity: "bo", email: "bo@example.com")
            let known = try await catalog.pool.viewerEmails.participants(sessionID: own.sessionID!)
            #expect(known.map(\.email) == ["ada@example.com"] && known.first?.name == "Ada")
            #expect(try await catalog.pool.viewerEmails.isParticipant(email: "ada@example.com", sessionID: own.sessionID!))
            #expect(try await !catalog.pool.viewerEmails.isParticipant(email: "bo@example.com", sessionID: own.sessionID!))
            try await catalog.pool.viewerEmails.remember(identity: "ada", email: "ada@new.example.com")
            #expect(try await catalog.pool.viewerEmails.participants(sessionID: own.sessionID!).map(\.email) == ["ada@new.example.com"])
        }
    }
}
