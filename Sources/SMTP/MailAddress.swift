/// A message the writer refuses to build: which field, and why. Nothing is sent.
public struct MailFormatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// A mailbox: an address (`local@domain`) and an optional display name.
///
/// The address is checked to be a plausible ASCII addr-spec (dot-atom local part, a domain of
/// letters, digits and hyphens with at least one dot): it goes into `MAIL FROM`/`RCPT TO` and a
/// header verbatim, so no CR, LF, NUL, space or angle bracket can get through. The display name
/// may be anything: control characters become spaces (a header is one line of text), runs of
/// spaces one, and the writer quotes or encodes the rest (RFC 2047) so it can never end the
/// header. A long name is shortened to what one header line holds (see
/// `HeaderText.fittedDisplayName`); ``displayName`` is the name as it will be sent.
public struct MailAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let address: String
    public let displayName: String?

    public init(address: String, displayName: String? = nil) throws(MailFormatError) {
        try Self.validate(address: address)
        self.address = address
        // Spaces in a display name are not significant (RFC 5322 phrase): runs become one.
        let name = displayName.map { HeaderText.fittedDisplayName(HeaderText.singleLine($0).split(separator: " ").joined(separator: " ")) }
        self.displayName = (name?.isEmpty ?? true) ? nil : name
    }

    /// The part after `@`.
    public var domain: Substring { address[address.index(after: address.lastIndex(of: "@")!)...] }

    public var description: String { displayName.map { "\($0) <\(address)>" } ?? address }

    static let atext: Set<UInt8> = Set(Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".utf8))

    static func validate(address: String) throws(MailFormatError) {
        func invalid(_ reason: String) -> MailFormatError { MailFormatError(field: "address", reason: reason) }
        let bytes = Array(address.utf8)
        if bytes.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) { throw invalid("contains a line break or NUL") }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw invalid("only ASCII addresses without spaces are supported")
        }
        guard bytes.count <= 254 else { throw invalid("longer than 254 characters") }
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { throw invalid("has no @") }
        let local = bytes[..<at], domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64 else { throw invalid("the part before @ must be 1 to 64 characters") }
        let atoms = local.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard atoms.allSatisfy({ !$0.isEmpty && $0.allSatisfy { atext.contains($0) } }) else {
            throw invalid("the part before @ has a character or dot that is not allowed")
        }
        try validate(domain: String(decoding: domain, as: UTF8.self), field: "address")
    }

    /// A host name with at least two labels, each 1-63 letters, digits or inner hyphens.
    static func validate(domain: String, field: String) throws(MailFormatError) {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let valid = domain.utf8.count <= 253 && labels.count >= 2 && labels.allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        guard valid else { throw MailFormatError(field: field, reason: "the domain is not a valid host name") }
    }
}
