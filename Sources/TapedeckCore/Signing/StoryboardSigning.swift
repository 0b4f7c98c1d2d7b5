import Foundation

/// Turns a stored storyboard index (WebVTT whose cues name `sprite.jpg#xywh=...`, relative to the
/// index) into one a browser can use from a private store: each sprite reference becomes a signed
/// URL, its `#xywh=` fragment kept. Pure, in the same two steps as ``PlaylistSigning``.
public enum StoryboardSigning {
    /// The object key each cue's image reference names, resolved against the index's own key.
    public static func objectKeys(ofVTT text: String, vttKey: String) -> [String: String] {
        var keys: [String: String] = [:]
        for reference in references(text) where keys[reference] == nil {
            if let key = PlaylistSigning.objectKey(uri: reference, playlistKey: vttKey) { keys[reference] = key }
        }
        return keys
    }

    /// The index with each signed reference replaced; everything else as it was.
    public static func rewrite(_ text: String, vttKey: String, signedURLs: [String: String]) -> String {
        let keys = objectKeys(ofVTT: text, vttKey: vttKey)
        var inCue = false
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { raw -> String in
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            defer { if line.contains("-->") { inCue = true } else if line.isEmpty { inCue = false } }
            guard inCue, !line.isEmpty, !line.contains("-->") else { return line }
            let (reference, fragment) = split(line)
            guard let key = keys[reference], let url = signedURLs[key] else { return line }
            return url + fragment
        }
        return lines.joined(separator: "\n")
    }

    /// The cue payloads: the lines after a timing line, up to the blank line that ends the cue.
    static func references(_ text: String) -> [String] {
        var found: [String] = []
        var inCue = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.contains("-->") {
                inCue = true
            } else if line.isEmpty {
                inCue = false
            } else if inCue {
                found.append(split(line).reference)
            }
        }
        return found
    }

    /// `sprite.jpg#xywh=0,0,160,90` into the reference and `#xywh=0,0,160,90`.
    static func split(_ line: String) -> (reference: String, fragment: String) {
        guard let hash = line.firstIndex(of: "#") else { return (line, "") }
        return (String(line[..<hash]), String(line[hash...]))
    }
}
