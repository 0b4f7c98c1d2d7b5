/// Names that end up in object keys.
public enum StorageNaming {
    /// A room name made safe as one path segment of an object key: slashes, backslashes and
    /// control characters become `_`, and names that are only dots get a prefix.
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
        return String(out.prefix(200))
    }

    /// Where a session's objects live: `{room}/{session_key}/`.
    public static func keyPrefix(room: String, sessionKey: String) -> String {
        "\(keySegment(room))/\(keySegment(sessionKey))/"
    }
}
