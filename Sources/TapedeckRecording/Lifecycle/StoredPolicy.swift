import Foundation
import TapedeckCore

/// A room's policy as stored in the catalog.
///
/// A stored policy that cannot be read (bad JSON, an unknown value, one that fails validation)
/// is an error, never the default in its place: the default could record a room that should not
/// be recorded, or let retention delete what the room's own policy would keep.
package enum StoredPolicy {
    /// The room's own policy over `defaults`, or `defaults` when it has none.
    static package func resolve(_ json: String?, room: String, defaults: RecordingPolicy) throws(UnreadableRoomPolicy) -> RecordingPolicy {
        guard let json else { return defaults }
        let policy: RecordingPolicy
        do {
            policy = try RecordingPolicy.decode(Data(json.utf8), defaults: defaults)
        } catch {
            throw UnreadableRoomPolicy(room: room, reason: Self.describe(error))
        }
        if let problem = policy.validationError() {
            throw UnreadableRoomPolicy(room: room, reason: problem.message)
        }
        return policy
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
            DecodingError.valueNotFound(_, let context), DecodingError.keyNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// The stored policy of `room` cannot be used; nothing is done to the room by policy until it is set again.
package struct UnreadableRoomPolicy: Error, CustomStringConvertible {
    package var room: String
    package var reason: String

    package var description: String {
        "the stored policy of room \(room) cannot be read (\(reason)); set it again with PUT /v1/rooms/{name}/policy"
    }
}
