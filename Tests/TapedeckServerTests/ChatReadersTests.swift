import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TapedeckCore
import TapedeckStore
import Testing
import TestSupport

@testable import TapedeckServer

/// 100ms' chat export holds messages sent to some roles only (its `Roles` column): admin keys and
/// the session's hosts read it; participants and share holders get the summary, never the chat.
@Suite("Who may read the chat")
struct ChatReadersTests {
    struct Seeded {
        var recording: Recording
        var chat: AssetReference
    }

    static func seed(_ app: TestApp) async throws -> Seeded {
        let recording = try await app.catalog.transaction { tx in
            let room = try await tx.rooms.findOrCreate(name: "board", provider: "100ms")
            let session = try await tx.sessions.create(
                roomID: room.id, roomName: room.name, providerSessionID: "S_board", startedAt: tx.clock.now())
            try await tx.participants.join(sessionID: session.id, identity: "hana", name: nil, isHost: true, at: tx.clock.now())
            try await tx.participants.join(sessionID: session.id, identity: "pete", name: nil, isHost: false, at: tx.clock.now())
            let id = UUID()
            let prefix = "board/\(id.uuidString.lowercased())/"
            _ = try await tx.recordings.insert(
                NewRecording(
                    id: id, roomID: room.id, sessionID: session.id, provider: "100ms", status: .ready, storage: "local",
                    keyPrefix: prefix))
            for (kind, name, type) in [(AssetKind.mp4, "recording.mp4", "video/mp4"), (.chat, "chat-0123456789ab.csv", "text/csv"),
                (.summary, "summary-0123456789ab.json", "application/json")]
            {
                try await tx.assets.upsert(NewAsset(recordingID: id, kind: kind, key: prefix + name, contentType: type, sizeBytes: 3))
            }
            return try #require(try await tx.recordings.find(id: id))
        }
        for asset in recording.assets {
            _ = try await app.store.put(try .init(asset.key), body: [ByteBuffer(string: "abc")].async, contentType: asset.contentType)
        }
        return Seeded(recording: recording, chat: AssetReference(try #require(recording.assets.first { $0.kind == .chat })))
    }

    /// The kinds of files a grant answer lists, and their links by kind (path and query).
    static func files(_ response: TestResponse) -> [String: String] {
        let files = response.object["files"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: files.map { file in
            let url = URLComponents(string: file["url"] as? String ?? "")
            return (file["kind"] as? String ?? "", (url?.path ?? "") + "?" + (url?.query ?? ""))
        })
    }

    @Test("admins and hosts get the chat; participants and shares only the summary", arguments: TestDatabase.all)
    func grants(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let seeded = try await Self.seed(app)
            let id = seeded.recording.id.uuidString.lowercased()
            let admin = try await client.execute(uri: "/v1/recordings/\(id)/playback", method: .get, headers: app.authorization)
            #expect(admin.status == .ok)
            #expect(Set(Self.files(admin).keys) == ["chat", "summary"])
            let hana = try await RoomsAPITests.viewer(client, app, "hana")
            let host = try await client.execute(uri: "/v1/recordings/\(id)/playback", method: .get, headers: hana)
            #expect(Set(Self.files(host).keys) == ["chat", "summary"])
            let pete = try await RoomsAPITests.viewer(client, app, "pete")
            let participant = try await client.execute(uri: "/v1/recordings/\(id)/playback", method: .get, headers: pete)
            #expect(participant.status == .ok)
            #expect(Set(Self.files(participant).keys) == ["summary"])
            for allowDownload in [false, true] {
                let made = try await client.execute(
                    uri: "/v1/recordings/\(id)/shares", method: .post, headers: app.authorization,
                    body: ByteBuffer(string: #"{"expires_in":600,"allow_download":\#(allowDownload)}"#))
                #expect(made.status == .created || made.status == .ok, "\(made.text)")
                let token = (made.object["url"] as? String ?? "").split(separator: "/").last.map(String.init) ?? ""
                let shared = try await client.execute(uri: "/v1/share-links/\(token)/playback", method: .post)
                #expect(shared.status == .ok, "\(shared.text)")
                #expect(Set(Self.files(shared).keys) == ["summary"], "downloads \(allowDownload)")
            }

            // The links work for those who were given them.
            for links in [Self.files(admin), Self.files(host)] {
                let fetched = try await client.execute(uri: links["chat"] ?? "", method: .get)
                #expect(fetched.status == .found)
            }
        }
    }

    @Test("a chat link for anyone else is refused by /download with a clear error", arguments: TestDatabase.all)
    func downloadRefuses(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let seeded = try await Self.seed(app)
            let keys = app.dependencies.playback
            let expires = Int64(app.clock.now().timeIntervalSince1970) + 600
            // Validly signed links (one issued before the rule, or to someone who is no host now).
            var refused = [
                keys.downloadPath(recordingID: seeded.recording.id, asset: seeded.chat, grantee: "viewer:pete", expires: expires),
                keys.downloadPath(recordingID: seeded.recording.id, asset: seeded.chat, grantee: "viewer:stranger", expires: expires),
            ] + HostileStrings.all.filter { !$0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }.prefix(20).map {
                keys.downloadPath(recordingID: seeded.recording.id, asset: seeded.chat, grantee: "viewer:" + $0, expires: expires)
            }
            let made = try await client.execute(
                uri: "/v1/recordings/\(seeded.recording.id.uuidString.lowercased())/shares", method: .post, headers: app.authorization,
                body: ByteBuffer(string: #"{"expires_in":600,"allow_download":true}"#))
            let share = try #require(UUID(uuidString: made.object["id"] as? String ?? ""))
            refused.append(
                keys.downloadPath(
                    recordingID: seeded.recording.id, asset: seeded.chat, grantee: "share:x", expires: expires, share: share))
            for path in refused {
                let answer = try await client.execute(uri: path, method: .get)
                #expect(answer.status == .forbidden, "\(path)")
                #expect(answer.errorCode == "chat_not_permitted", "\(path)")
                #expect(answer.headers[.location] == nil)
            }
            let events = try await app.catalog.pool.events.list(recordingID: seeded.recording.id, afterID: nil, limit: 100)
            #expect(!events.contains { $0.type == "recording.downloaded" }, "a refusal is no download")
            // The host's and an admin key's links, and the summary for a participant, still work.
            for (grantee, asset) in [
                ("viewer:hana", seeded.chat), ("api_key:\(UUID().uuidString.lowercased())", seeded.chat),
                ("viewer:pete", AssetReference(try #require(seeded.recording.assets.first { $0.kind == .summary }))),
            ] {
                let answer = try await client.execute(
                    uri: keys.downloadPath(recordingID: seeded.recording.id, asset: asset, grantee: grantee, expires: expires), method: .get)
                #expect(answer.status == .found, "\(grantee)")
            }
        }
    }

    /// 100ms may deliver a new chat or summary after the recording is ready: the new version
    /// gets a row of its own and the old one goes, which moves the files after it in the list.
    @Test("a link keeps naming its file when the recording's files change", arguments: TestDatabase.all)
    func linksSurviveANewVersion(database: TestDatabase) async throws {
        try await TestApp.with(database) { app, client in
            let seeded = try await Self.seed(app)
            let id = seeded.recording.id.uuidString.lowercased()
            let pete = try await RoomsAPITests.viewer(client, app, "pete")
            let grant = try await client.execute(uri: "/v1/recordings/\(id)/playback", method: .get, headers: pete)
            let summaryLink = try #require(Self.files(grant)["summary"])
            let summaryKey = try #require(seeded.recording.assets.first { $0.kind == .summary }?.key)
            let legacyPosition = try #require(seeded.recording.assets.firstIndex { $0.kind == .summary })

            // A new chat version replaces the old one: the summary moves up one place, the new
            // chat takes the summary's old place.
            let newChat = seeded.recording.keyPrefix + "chat-ba9876543210.csv"
            try await app.catalog.transaction { tx in
                try await tx.assets.upsert(
                    NewAsset(recordingID: seeded.recording.id, kind: .chat, key: newChat, contentType: "text/csv", sizeBytes: 3))
                _ = try await tx.assets.deleteOthers(recordingID: seeded.recording.id, kind: .chat, keeping: newChat)
            }
            _ = try await app.store.put(try .init(newChat), body: [ByteBuffer(string: "abc")].async, contentType: "text/csv")
            let moved = try #require(try await app.catalog.pool.recordings.find(id: seeded.recording.id))
            #expect(moved.assets.firstIndex { $0.kind == .summary } != legacyPosition, "the list did change")
            #expect(moved.assets[legacyPosition].kind == .chat)

            let answer = try await client.execute(uri: summaryLink, method: .get)
            #expect(answer.status == .found)
            let location = answer.headers[.location] ?? ""
            #expect(location.contains(URL(fileURLWithPath: summaryKey).lastPathComponent), "\(location)")
            // A link by position (as the previous version signed them) now lands on the chat,
            // which the participant may not read: refused, not served.
            let keys = app.dependencies.playback
            let expires = Int64(app.clock.now().timeIntervalSince1970) + 600
            let byPosition = try await client.execute(
                uri: keys.downloadPath(
                    recordingID: seeded.recording.id, asset: .position(legacyPosition), grantee: "viewer:pete", expires: expires),
                method: .get)
            #expect(byPosition.status == .forbidden && byPosition.errorCode == "chat_not_permitted")
            // A deleted version's id names nothing.
            let oldChat = try await client.execute(
                uri: keys.downloadPath(recordingID: seeded.recording.id, asset: seeded.chat, grantee: "viewer:hana", expires: expires),
                method: .get)
            #expect(oldChat.status == .notFound)
        }
    }
}
