/// Content types by file extension, for the formats a recording is made of.
public enum ContentTypes {
    /// The type for a key's extension (case-insensitive), read from the UTF-8 bytes after the
    /// last `.` of the last segment: this runs for every served media request.
    public static func forKey(_ key: String) -> String {
        guard let dot = key.utf8.lastIndex(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "/") }),
            key.utf8[dot] == UInt8(ascii: "."), key.utf8.distance(from: dot, to: key.utf8.endIndex) <= 9
        else { return "application/octet-stream" }
        let extensionBytes = key.utf8[key.utf8.index(after: dot)...].map { $0 | ((0x41...0x5A).contains($0) ? 0x20 : 0) }
        switch String(decoding: extensionBytes, as: UTF8.self) {
        case "m3u8": return "application/vnd.apple.mpegurl"
        case "ts": return "video/mp2t"
        case "m4s": return "video/iso.segment"
        case "mp4": return "video/mp4"
        case "m4a": return "audio/mp4"
        case "mp3": return "audio/mpeg"
        case "ogg": return "audio/ogg"
        case "jpg", "jpeg": return "image/jpeg"
        case "png": return "image/png"
        case "vtt": return "text/vtt; charset=utf-8"
        case "json": return "application/json"
        case "csv": return "text/csv; charset=utf-8"
        case "txt": return "text/plain; charset=utf-8"
        default: return "application/octet-stream"
        }
    }
}
