/// Content types by file extension, for the formats a recording is made of.
public enum ContentTypes {
    public static func forKey(_ key: String) -> String {
        let name = key.split(separator: "/").last.map(String.init) ?? key
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        switch name[name.index(after: dot)...].lowercased() {
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
