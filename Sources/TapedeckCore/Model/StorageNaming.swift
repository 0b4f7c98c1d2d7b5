import Crypto
import Foundation

/// Names that end up in object keys.
public enum StorageNaming {
    /// The longest key segment, in UTF-8 bytes: two of them plus a recording's folder and a file
    /// name stay well inside S3's 1,024-byte key limit.
    static let maximumSegmentBytes = 160

    /// A room name made safe as one path segment of an object key: slashes, backslashes and
    /// control characters become `_`, and names that are only dots get a prefix. A name longer
    /// than a segment may be is cut, and a hash of the whole name replaces what was cut, so that
    /// two names differing only at the end (a session key's timestamp or `_2` suffix) stay apart.
    public static func keySegment(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            if scalar == "/" || scalar == "\\" || scalar.value < 0x20 || scalar.value == 0x7F {
                out += "_"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        if out.isEmpty || out.allSatisfy({ $0 == "." }) { out = "room" + out }
        guard out.utf8.count > maximumSegmentBytes else { return out }
        let digest = SHA256.hash(data: Data(name.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
        var kept = ""
        var bytes = 0
        let budget = maximumSegmentBytes - digest.count - 1
        for scalar in out.unicodeScalars {
            let width = String(scalar).utf8.count
            guard bytes + width <= budget else { break }
            kept.unicodeScalars.append(scalar)
            bytes += width
        }
        return kept + "~" + digest
    }

    /// The folder of one recording's objects: `{room}/{session_key}/{recording}/`, where
    /// `{recording}` is the first eight hex digits of its id. Every recording has a folder of its
    /// own, so a second recording of the same session (a rejoin, a manual restart) never writes
    /// over the first one's files, and deleting one never touches the other's.
    public static func keyPrefix(room: String, sessionKey: String, recordingID: UUID) -> String {
        "\(keySegment(room))/\(keySegment(sessionKey))/\(shortID(recordingID))/"
    }

    /// Whether `prefix` is a folder of the recording's own (named with its id), rather than the
    /// session's folder recordings made before folders per recording shared.
    public static func isOwnFolder(_ prefix: String, of recordingID: UUID) -> Bool {
        prefix.hasSuffix("/" + shortID(recordingID) + "/")
    }

    /// The short, readable form of a recording id used in its folder name.
    public static func shortID(_ id: UUID) -> String {
        String(id.uuidString.lowercased().prefix(8))
    }
}
