import TapedeckCore

/// Which asset of a recording a signed link names: its id, written `a57` in the path.
///
/// A recording's asset list changes after it is ready (a new version of the 100ms chat or
/// summary replaces the old one and the old row goes), so a position in it does not stay on the
/// same file: a summary link could come to fetch the chat. Links signed by the previous version
/// named a position (`3`); those are still honoured until they expire, so that links handed out
/// during a rolling restart keep working, and nothing signs them any more.
enum AssetReference: Sendable, Equatable, CustomStringConvertible {
    case id(Int64)
    case position(Int)

    init(_ asset: Asset) { self = .id(asset.id) }

    /// Parses a path segment: `a` and an id, or a bare position below 1000, each only in the
    /// form Tapedeck writes (no sign, no leading zero, ASCII digits), so one link has one spelling.
    init?(_ text: Substring) {
        let parsed: AssetReference
        if text.first == "a", let id = Int64(text.dropFirst()), id >= 0 {
            parsed = .id(id)
        } else if let position = Int(text), position >= 0, position < 1000 {
            parsed = .position(position)
        } else {
            return nil
        }
        guard parsed.description == text else { return nil }
        self = parsed
    }

    /// What the path holds and the signature covers; the two forms never sign the same text.
    var description: String {
        switch self {
        case .id(let id): "a\(id)"
        case .position(let position): "\(position)"
        }
    }

    /// The asset this names among the recording's, if it still exists.
    func resolve(in assets: [Asset]) -> Asset? {
        switch self {
        case .id(let id): assets.first { $0.id == id }
        case .position(let position): position < assets.count ? assets[position] : nil
        }
    }
}
