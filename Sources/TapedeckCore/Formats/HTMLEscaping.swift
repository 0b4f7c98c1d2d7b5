/// The one escaping every page and every HTML email goes through.
///
/// It works on UTF-8 bytes, never on `Character`s: a `"` followed by a combining mark (U+0301,
/// U+200D, any Extend character) is a single grapheme cluster, so an escaper that compares whole
/// characters with `"` lets it through raw and the value leaves its attribute. In UTF-8 the five
/// ASCII bytes below never occur inside a multi-byte sequence, so replacing bytes is exact.
package enum HTMLEscaping {
    /// `text` safe between tags and inside a quoted attribute value (single or double quotes).
    package static func escape(_ text: String) -> String {
        let utf8 = text.utf8
        guard utf8.contains(where: { replacement(for: $0) != nil }) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count + 16)
        for byte in utf8 {
            if let entity = replacement(for: byte) {
                bytes.append(contentsOf: entity)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let ampersand = Array("&amp;".utf8), lessThan = Array("&lt;".utf8), greaterThan = Array("&gt;".utf8)
    private static let quote = Array("&quot;".utf8), apostrophe = Array("&#39;".utf8)

    private static func replacement(for byte: UInt8) -> [UInt8]? {
        switch byte {
        case UInt8(ascii: "&"): ampersand
        case UInt8(ascii: "<"): lessThan
        case UInt8(ascii: ">"): greaterThan
        case UInt8(ascii: "\""): quote
        case UInt8(ascii: "'"): apostrophe
        default: nil
        }
    }

    /// A page's values with every string in them escaped, however deeply nested. Templates then
    /// print values verbatim (see ``PageRenderer``), so neither `{{x}}` nor `{{{x}}}` can put
    /// unescaped text into a page. Booleans and numbers are kept for sections; anything else
    /// becomes its escaped description rather than passing through unchecked.
    package static func escapedValues(_ value: Any) -> Any {
        switch value {
        case let text as String: escape(text)
        case let text as Substring: escape(String(text))
        case let flag as Bool: flag
        case let number as Int: number
        case let number as Int64: number
        case let number as Double: number
        case let dictionary as [String: Any]: dictionary.mapValues(escapedValues)
        case let array as [Any]: array.map(escapedValues)
        default: escape(String(describing: value))
        }
    }
}
