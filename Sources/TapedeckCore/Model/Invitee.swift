import Foundation

/// Someone to be emailed a personal link when a recording is ready: listed on a room (every
/// recording of it) or on one recording.
public struct Invitee: Sendable, Equatable {
    /// Lowercased (see ``EmailAddress/normalize(_:)``).
    public var email: String
    public var name: String?
    public var role: String?

    public init(email: String, name: String? = nil, role: String? = nil) {
        self.email = email
        self.name = name
        self.role = role
    }

    public static let maxNameLength = 200
    public static let maxRoleLength = 64
    /// Invitees of one room or recording.
    public static let maxCount = 5000

    /// The first problem with one entry, naming its field; `nil` when it is fine.
    public static func problem(email: String, name: String?, role: String?) -> (field: String, message: String)? {
        if let problem = EmailAddress.problem(email) { return ("email", problem) }
        if let name {
            if name.unicodeScalars.isEmpty || name.unicodeScalars.count > maxNameLength {
                return ("name", "name must be 1 to \(maxNameLength) characters")
            }
            if PlainText.hasControlCharacters(name) { return ("name", "name must not contain control characters or line breaks") }
        }
        if let role {
            if role.unicodeScalars.isEmpty || role.unicodeScalars.count > maxRoleLength {
                return ("role", "role must be 1 to \(maxRoleLength) characters")
            }
            if PlainText.hasControlCharacters(role) { return ("role", "role must not contain control characters or line breaks") }
        }
        return nil
    }

    /// The list with one entry per address (compared without case), the first one kept.
    public static func deduplicated(_ invitees: [Invitee]) -> [Invitee] {
        var seen: Set<String> = []
        return invitees.filter { seen.insert($0.email.lowercased()).inserted }
    }
}

/// Text that goes into mail headers and pages must not carry anything that ends a line.
public enum PlainText {
    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    public static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { scalar in
            scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
        }
    }
}

/// Email addresses as Tapedeck accepts them: `local@domain` in ASCII (the dot-atom of RFC 5322,
/// no quoted local parts, no comments, no IP literals), at most 254 characters, the local part at
/// most 64. Narrower than the RFCs on purpose: every address accepted can go into an SMTP
/// envelope and a `To:` header as it is, so none can carry a header or a second recipient.
public enum EmailAddress {
    public static let maxLength = 254
    public static let maxLocalLength = 64

    /// The stored form: lowercased (providers treat addresses without case in practice, and one
    /// invitee listed twice in two spellings must get one email).
    public static func normalize(_ address: String) -> String { address.lowercased() }

    /// Why `address` is refused, or `nil`.
    public static func problem(_ address: String) -> String? {
        let bytes = Array(address.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength else { return "email must be 3 to \(maxLength) characters" }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return "email must be printable ASCII without spaces or control characters"
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return "email must have exactly one @" }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= maxLocalLength else { return "email's part before @ must be 1 to \(maxLocalLength) characters" }
        guard local.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isAtext) }) else {
            return "email's part before @ may hold letters, digits, dots (not at either end or doubled) and !#$%&'*+-/=?^_`{|}~"
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy(isDomainLabel) else {
            return "email's domain must be a host name with a dot (letters, digits and hyphens)"
        }
        return nil
    }

    private static func isAtext(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-/=?^_`{|}~".utf8).contains(byte)
        }
    }

    private static func isDomainLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard !bytes.isEmpty, bytes.count <= 63, bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"):
                true
            default: false
            }
        }
    }
}
