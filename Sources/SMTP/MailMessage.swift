import Foundation

/// An email as RFC 5322 text: the headers a receiver needs and a plain-text body, with an HTML
/// alternative when given (`multipart/alternative`). Everything the writer produces is 7-bit
/// ASCII in CRLF lines of at most 78 characters (bodies quoted-printable, headers RFC 2047), so
/// no user text can add or change a header and no server needs 8BITMIME or SMTPUTF8.
public struct MailMessage: Sendable {
    public let from: MailAddress
    public let to: [MailAddress]
    public let subject: String
    public let textBody: String
    public let htmlBody: String?
    /// A one-click unsubscribe URL (RFC 8058), for notification mail.
    public let listUnsubscribe: String?
    public let date: Date
    /// The `Message-ID` header's value, angle brackets included: kept by a sender to match bounces.
    public let messageID: String
    let boundary: String

    public init(
        from: MailAddress, to: [MailAddress], subject: String, textBody: String, htmlBody: String? = nil,
        listUnsubscribe: String? = nil, date: Date = Date(), messageIDDomain: String? = nil, messageID: String? = nil
    ) throws(MailFormatError) {
        guard !to.isEmpty else { throw MailFormatError(field: "to", reason: "at least one recipient is needed") }
        if let listUnsubscribe { try Self.validate(unsubscribe: listUnsubscribe) }
        let domain = messageIDDomain ?? String(from.domain)
        try MailAddress.validate(domain: domain, field: "messageIDDomain")
        self.from = from
        self.to = to
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.listUnsubscribe = listUnsubscribe
        self.date = date
        // A sender that may send one message twice (a retry after a crash) passes its own, the
        // same each time, so the receiver can tell the copies apart from two messages.
        if let messageID { try Self.validate(messageID: messageID) }
        self.messageID = messageID ?? "<\(Self.randomHex(16))@\(domain)>"
        // `=_` never occurs in quoted-printable text (a literal `=` is always written `=3D`),
        // so no body can contain a line that looks like this boundary.
        self.boundary = "=_tapedeck_\(Self.randomHex(12))"
    }

    public init(
        from: MailAddress, to: MailAddress, subject: String, textBody: String, htmlBody: String? = nil,
        listUnsubscribe: String? = nil, date: Date = Date(), messageIDDomain: String? = nil
    ) throws(MailFormatError) {
        try self.init(
            from: from, to: [to], subject: subject, textBody: textBody, htmlBody: htmlBody,
            listUnsubscribe: listUnsubscribe, date: date, messageIDDomain: messageIDDomain)
    }

    /// The message as sent in DATA (before dot-stuffing): headers, a blank line, the body.
    public func render() -> String {
        var headers = "Date: \(Self.rfc5322Date(date))\r\n"
        headers += HeaderText.field("From", tokens: HeaderText.mailbox(from))
        var recipients: [String] = []
        for (index, address) in to.enumerated() {
            var tokens = HeaderText.mailbox(address)
            if index < to.count - 1 { tokens[tokens.count - 1] += "," }
            recipients += tokens
        }
        headers += HeaderText.field("To", tokens: recipients)
        headers += HeaderText.unstructured("Subject", subject)
        headers += "Message-ID: \(messageID)\r\n"
        if let listUnsubscribe {
            headers += "List-Unsubscribe: <\(listUnsubscribe)>\r\n"
            headers += "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        }
        headers += "MIME-Version: 1.0\r\n"
        let text = QuotedPrintable.encode(textBody)
        guard let htmlBody else {
            // The body's own last line break, if any, ends the message (DATA adds one otherwise).
            return headers + Self.partHeaders("text/plain") + "\r\n" + text
        }
        let html = QuotedPrintable.encode(htmlBody)
        headers += "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"\r\n"
        return headers + "\r\n"
            + "--\(boundary)\r\n" + Self.partHeaders("text/plain") + "\r\n" + text + "\r\n"
            + "--\(boundary)\r\n" + Self.partHeaders("text/html") + "\r\n" + html + "\r\n"
            + "--\(boundary)--\r\n"
    }

    private static func partHeaders(_ type: String) -> String {
        "Content-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    }

    /// An https, http or mailto URL that fits in `<...>` on one header line.
    static func validate(unsubscribe url: String) throws(MailFormatError) {
        func invalid(_ reason: String) -> MailFormatError { MailFormatError(field: "listUnsubscribe", reason: reason) }
        guard url.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }) else {
            throw invalid("must be printable ASCII without spaces or angle brackets")
        }
        guard url.utf8.count <= 900 else { throw invalid("longer than 900 characters") }
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("mailto:") else {
            throw invalid("must be an https, http or mailto URL")
        }
    }

    /// `<left@right>` in printable ASCII, no spaces or further angle brackets, one header line.
    static func validate(messageID: String) throws(MailFormatError) {
        let inner = messageID.utf8.dropFirst().dropLast()
        guard messageID.hasPrefix("<"), messageID.hasSuffix(">"), messageID.utf8.count <= 250,
            inner.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }),
            inner.filter({ $0 == UInt8(ascii: "@") }).count == 1
        else { throw MailFormatError(field: "messageID", reason: "must be <left@right> in printable ASCII without spaces") }
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<bytes * 2).map { _ in "0123456789abcdef".randomElement(using: &generator)! })
    }

    /// `Tue, 01 Dec 2026 17:04:27 +0000`, always in UTC and English (RFC 5322 §3.3).
    static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { value.map { $0 < 10 ? "0\($0)" : "\($0)" } ?? "00" }
        return "\(days[parts.weekday! - 1]), \(two(parts.day)) \(months[parts.month! - 1]) \(parts.year!) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}

/// What DATA carries on the wire (RFC 5321 §4.5.2): every line break as CRLF, a `.` doubled at
/// the start of a line, ending with `CRLF.CRLF`.
enum SMTPDataEncoding {
    static func encode(_ message: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(message.utf8.count + 64)
        let lines = QuotedPrintable.lines(of: message)
        // A message ending in a line break leaves an empty last line: it is the terminator's CRLF.
        let body = lines.last == [] ? lines.dropLast() : lines[...]
        for line in body {
            if line.first == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out += line
            out += [0x0D, 0x0A]
        }
        out += Array(".\r\n".utf8)
        return out
    }
}
