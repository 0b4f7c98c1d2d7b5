import Foundation

/// Turns a stored HLS playlist into one a browser can play from a private store: every segment
/// URI and every `EXT-X-MAP` URI that points into the store becomes its own signed URL.
///
/// Pure: first ``objectKeys(of:playlistKey:)`` says which object each URI names, the caller signs
/// those keys (S3 presign or local HMAC), then ``rewrite(_:playlistKey:signedURLs:)`` substitutes.
public enum PlaylistSigning {
    /// The object key each URI of the playlist names, resolved against the playlist's own key;
    /// URIs that name nothing in the store (absolute `https://...`, host-absolute `/...`, paths
    /// escaping the store with `..`) are absent and stay as they are.
    public static func objectKeys(of playlist: HLSPlaylist, playlistKey: String) -> [String: String] {
        var keys: [String: String] = [:]
        for uri in playlist.uris where keys[uri] == nil {
            if let key = objectKey(uri: uri, playlistKey: playlistKey) { keys[uri] = key }
        }
        return keys
    }

    /// The playlist with each URI whose key was signed replaced by its signed URL.
    public static func rewrite(_ playlist: HLSPlaylist, playlistKey: String, signedURLs: [String: String]) -> String {
        let keys = objectKeys(of: playlist, playlistKey: playlistKey)
        return playlist.rewritingURIs { uri in
            guard let key = keys[uri], let url = signedURLs[key] else { return uri }
            return url
        }
    }

    /// What a URI that may not be followed becomes: a relative name that names nothing, so a
    /// player (or ffmpeg) fails that one segment instead of fetching something else.
    public static let unavailableURI = "unavailable"

    /// The keys a recording's playlist may name: only objects inside the recording's own folder.
    /// A stored playlist pointing elsewhere (`../other-room/...`, another recording's segments)
    /// gets none of those signed.
    public static func objectKeys(of playlist: HLSPlaylist, playlistKey: String, within prefix: String) -> [String] {
        Array(Set(objectKeys(of: playlist, playlistKey: playlistKey).values.filter { $0.hasPrefix(prefix) })).sorted()
    }

    /// The playlist with each URI replaced by its signed URL, and every other URI (outside the
    /// folder, absolute, another scheme) by ``unavailableURI``.
    public static func confined(_ playlist: HLSPlaylist, playlistKey: String, signedURLs: [String: String]) -> String {
        let keys = objectKeys(of: playlist, playlistKey: playlistKey)
        return playlist.rewritingURIs { uri in
            guard let key = keys[uri], let url = signedURLs[key] else { return unavailableURI }
            return url
        }
    }

    /// The key of a URI relative to the playlist, or `nil` if it names no object of the store.
    public static func objectKey(uri: String, playlistKey: String) -> String? {
        // A scheme (`https:`, `data:`) or a host-absolute path is outside the store.
        if uri.isEmpty || uri.hasPrefix("/") || uri.hasPrefix("//") { return nil }
        if let colon = uri.firstIndex(of: ":"), !uri[..<colon].contains("/") { return nil }
        var path = Substring(uri)
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<cut] }
        guard let decoded = String(path).removingPercentEncoding, !decoded.isEmpty else { return nil }
        var segments = playlistKey.split(separator: "/", omittingEmptySubsequences: false).dropLast().map(String.init)
        for segment in decoded.split(separator: "/", omittingEmptySubsequences: false) {
            switch segment {
            case "", ".": continue
            case "..":
                guard !segments.isEmpty else { return nil }
                segments.removeLast()
            default: segments.append(String(segment))
            }
        }
        guard !segments.isEmpty else { return nil }
        return segments.joined(separator: "/")
    }
}
