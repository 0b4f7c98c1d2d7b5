import TapedeckCore
import TapedeckRecording
import TapedeckStore

/// Which room a request names. A name is one room per provider, so a request may say which with
/// `provider`, and must when the name is on more than one: Tapedeck never picks one for it
/// (409 `ambiguous_room`, naming the field).
struct RoomLookup {
    let catalog: Catalog

    /// What rooms are stored under: the recorders' names and imports'.
    static let providers = RecordingProviders.known + [RecordingImporter.provider]

    /// A room set up before any provider reported it (a policy set ahead of the first session) is
    /// LiveKit's unless the request says otherwise, as before rooms carried their provider.
    static let defaultProvider = LiveKitRecorder.provider

    /// The request's `provider`, checked; `nil` when it names none.
    static func provider(_ raw: String?) throws -> String? {
        guard let raw else { return nil }
        guard providers.contains(raw) else {
            throw APIError.invalid("provider", "provider must be one of \(providers.joined(separator: ", "))")
        }
        return raw
    }

    /// The room `name` names: the provider's when `provider` is given, else the only room of that
    /// name (`nil` when there is none). Only rooms `visible` accepts count: a viewer asking about a
    /// name learns nothing of rooms that are not theirs, not even that they exist.
    func room(
        named name: String, provider: String?, visible: (Room) async throws -> Bool = { _ in true }
    ) async throws -> Room? {
        let candidates: [Room]
        if let provider {
            candidates = try await catalog.pool.rooms.find(name: name, provider: provider).map { [$0] } ?? []
        } else {
            candidates = try await catalog.pool.rooms.all(named: name)
        }
        var rooms: [Room] = []
        for room in candidates where try await visible(room) { rooms.append(room) }
        guard rooms.count <= 1 else { throw Self.ambiguous(name, providers: rooms.map(\.provider)) }
        return rooms.first
    }

    static func ambiguous(_ name: String, providers: [String]) -> APIError {
        APIError(
            .conflict, code: "ambiguous_room",
            message: "room \(name) exists on \(providers.joined(separator: " and ")); say which with provider",
            field: "provider")
    }
}
