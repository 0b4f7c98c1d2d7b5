/// Content types by file extension, for the formats a recording is made of.
public enum ContentTypes {
    /// The type for a key's extension (case-insensitive), read from the UTF-8 bytes after the
    /// last `.` of the last segment: this runs for every served media request.
    public static func forKey(_ key: String) -> String {
        var extensionBytes: [UInt8] = []
        for byte in key.utf8.reversed() {
            if byte == UInt8(ascii: ".") { break }
            if byte == UInt8(ascii: "/") || extensionBytes.count == 8 { return "application/octet-stream" }
            extensionBytes.append(byte | (byte >= 0x41 && byte <= 0x5A ? 0x20 : 0))
        }
        guard extensionBytes.count < key.utf8.count else { return "application/octet-stream" }
        switch String(decoding: extensionBytes.reversed(), as: UTF8.self) {
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
        default: return "application/octet-stream"
        }
    }
}
